// Progressive enhancement only: the site works completely without this file.
(function () {
  "use strict";

  // The address is the source of truth for what is chosen. htmx's history
  // snapshot is taken after a box was ticked (the tick is what triggers the
  // request), so on Back and Forward the boxes are set again from the address.
  function syncChoicesWithAddress() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[method=get]").forEach(function (form) {
      form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (input) {
        input.checked = params.getAll(input.name).indexOf(input.value) !== -1;
      });
      form.querySelectorAll("select").forEach(function (select) {
        select.value = params.get(select.name) || "";
      });
    });
  }

  document.addEventListener("htmx:historyRestore", syncChoicesWithAddress);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) syncChoicesWithAddress();
  });
})();
