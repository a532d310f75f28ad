// Progressive enhancement only: the site works completely without this file.
(function () {
  "use strict";

  // htmx's history snapshot saves innerHTML, which keeps attributes but not the
  // checked/selected properties a user changed. Write them into attributes
  // before the snapshot so Back restores the ticked boxes with the results.
  function reflectFormState(root) {
    root.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (input) {
      input.toggleAttribute("checked", input.checked);
    });
    root.querySelectorAll("option").forEach(function (option) {
      option.toggleAttribute("selected", option.selected);
    });
  }

  document.addEventListener("htmx:beforeHistorySave", function (event) {
    reflectFormState(event.detail.historyElt || document.body);
  });
})();
