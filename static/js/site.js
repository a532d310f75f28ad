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

  // The region question is open only when a ticked certificate's answer depends on it.
  function foldRegion() {
    var fold = document.getElementById("region-fold");
    var hint = document.getElementById("region-hint");
    var select = document.getElementById("region");
    if (!fold || !hint || !select) return;
    fold.open = hint.getAttribute("data-matters") === "1" || select.value !== "";
  }

  // A print control needs a script; without one the browser's own print still works.
  function showPrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
    });
  }

  // Unchosen fields (no region, today) stay out of the address: the shared and
  // bookmarked address is the short one the server also prints and encodes.
  document.addEventListener("htmx:configRequest", function (event) {
    var data = event.detail.formData;
    if (!data) return;
    Array.from(new Set(data.keys())).forEach(function (name) {
      var values = data.getAll(name);
      if (values.every(function (value) { return value === ""; })) data.delete(name);
    });
  });

  // A status region is read out when its text changes, not when it becomes
  // visible: the text is written while an update loads and cleared after.
  function setLoadingText(loading) {
    document.querySelectorAll(".loading-text").forEach(function (text) {
      text.textContent = loading ? text.getAttribute("data-text") : "";
    });
  }
  document.addEventListener("htmx:beforeRequest", function () { setLoadingText(true); });
  document.addEventListener("htmx:afterRequest", function () { setLoadingText(false); });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
  document.addEventListener("htmx:afterSettle", function () {
    foldRegion();
    showPrintButtons();
  });
  document.addEventListener("htmx:historyRestore", function () {
    syncChoicesWithAddress();
    showPrintButtons();
  });
  document.addEventListener("DOMContentLoaded", showPrintButtons);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) syncChoicesWithAddress();
  });
})();
