// The escalation policy editor's "Add a level" button (templates/policies/edit.html): the new
// row is asked for with the next form index, and the formset's TOTAL_FORMS follows the rows
// shown. A file rather than hx-vals/hx-on code: the CSP runs no inline or eval'd script.
(function () {
  "use strict";

  function levelCount() {
    return document.querySelectorAll("#levels fieldset").length;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.matches("[data-add-level]")) {
      event.detail.parameters.index = String(levelCount());
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "levels") {
      var total = document.getElementById("id_levels-TOTAL_FORMS");
      if (total) total.value = String(levelCount());
    }
  });
})();
