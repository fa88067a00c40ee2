// The print view's button: the browser's print dialog, where "Save as PDF" is a printer.
(function () {
  "use strict";
  document.querySelectorAll("button[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
})();
