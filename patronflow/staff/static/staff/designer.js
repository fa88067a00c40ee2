// The mail designer, made quicker with a script; everything here also works without it
// (staff/mail_editor.html): a personal field is typed as the list shows it, blocks move with
// their Up and Down buttons, and the preview follows typing through htmx attributes alone.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  const BORDERS = 2; // designer.css: 1px above and below, inside the height (border-box)

  // The frames of the preview: as tall as the mail, also the one that was hidden when it
  // loaded (fit-frames.js fits the light one as it loads).
  function fit(frame) {
    const mail = frame.contentDocument && frame.contentDocument.documentElement;
    if (mail && frame.offsetParent !== null) {
      frame.style.height = Math.ceil(mail.getBoundingClientRect().height) + BORDERS + "px";
    }
  }
  function fitAll() {
    document.querySelectorAll("iframe.mail-frame, iframe.dark-frame").forEach(fit);
  }
  document.addEventListener("load", function (event) {
    if (event.target instanceof HTMLIFrameElement && event.target.matches(".dark-frame")) {
      fit(event.target);
    }
  }, true);
  document.addEventListener("change", function (event) {
    if (event.target.closest(".preview-view")) {
      fitAll();
    }
  });

  // Personal fields: inserted where the cursor was in the text last typed in.
  let lastText = null;
  let lastStart = 0;
  let lastEnd = 0;
  function remember(event) {
    const field = event.target;
    if (field.matches && field.matches("#mail-form textarea, #mail-form input[type=text]")) {
      lastText = field;
      lastStart = field.selectionStart;
      lastEnd = field.selectionEnd;
    }
  }
  ["focusin", "keyup", "mouseup", "input", "select"].forEach(function (name) {
    document.addEventListener(name, remember);
  });
  function insertField() {
    const choice = document.getElementById("personal-field");
    if (!lastText || !document.body.contains(lastText)) {
      lastText = document.getElementById("id_subject");
      lastStart = lastEnd = lastText ? lastText.value.length : 0;
    }
    if (!choice || !lastText) return;
    const text = choice.value;
    lastText.value = lastText.value.slice(0, lastStart) + text + lastText.value.slice(lastEnd);
    lastText.focus();
    lastStart = lastEnd = lastStart + text.length;
    lastText.setSelectionRange(lastStart, lastEnd);
    lastText.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-insert-field]")) {
      insertField();
    }
  });

  function reveal() {
    document.querySelectorAll("[data-insert-field]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", reveal);
})();
