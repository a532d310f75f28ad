// Rule form: show only the steps of the chosen target certificate.
// Boxes already ticked stay visible, so nothing ticked is ever hidden; the
// server refuses steps of another certificate either way.
"use strict";
(function () {
  function filterSteps() {
    const target = document.getElementById("id_target");
    if (!target) return;
    const chosen = target.value;
    for (const name of ["waived", "remaining"]) {
      const box = document.getElementById("id_" + name);
      if (!box) continue;
      for (const group of box.children) {
        let visible = 0;
        for (const input of group.querySelectorAll("input[data-certificate]")) {
          const show = !chosen || input.dataset.certificate === chosen || input.checked;
          input.closest("div").hidden = !show;
          if (show) visible += 1;
        }
        group.hidden = visible === 0;
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    const target = document.getElementById("id_target");
    if (!target) return;
    target.addEventListener("change", filterSteps);
    filterSteps();
  });
})();
