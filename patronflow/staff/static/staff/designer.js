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
    if (field.matches && field.matches("#mail-form textarea, #mail-form input[type=text], .rich-text")) {
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
    if (lastText.isContentEditable) { // rich-text.js: back where the cursor was, and typed
      window.patronflowRichText.restore(lastText);
      document.execCommand("insertText", false, text);
      return;
    }
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

// Blocks: after htmx swapped them in, the focus goes to the block that moved (on the same
// button, when it is still there) or was added, or to the buttons that add one after a
// removal; a block is dragged by its handle (to where it is dropped, within its own list),
// and Alt+↑ / Alt+↓ inside a block press its Up / Down button.
(function () {
  "use strict";

  let pressed = "";
  let fieldName = ""; // the field Alt+↑/↓ was pressed in, after its block's prefix
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("#blocks button[name=action]");
    if (button) {
      pressed = button.dataset.move || "";
    }
  });

  // (an outerHTML swap settles on the element it replaced: look for the mark instead, and
  // take it off once followed, so that no later swap moves the focus again)
  document.addEventListener("htmx:afterSettle", function () {
    const marked = document.querySelector("#blocks [data-focus]");
    if (!marked) return;
    marked.removeAttribute("data-focus");
    const item = marked.closest("li[id]");
    const back = fieldName && item && document.getElementsByName(item.id + fieldName)[0];
    const same = pressed && marked.querySelector(":scope > .block-tools [data-move=" + pressed + "]");
    const first =
      marked.querySelector("input:not([type=hidden]), textarea, select") ||
      marked.querySelector("button");
    const target = back || same || first || marked;
    (document.getElementById(target.dataset.rich) || target).focus(); // rich-text.js's box
    pressed = "";
    fieldName = "";
  });

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    const block = event.target.closest && event.target.closest("#blocks li[data-index]");
    if (!block) return;
    const direction = event.key === "ArrowUp" ? "up" : "down";
    const button = block.querySelector(
      ":scope > .block > .block-tools [data-move=" + direction + "]"
    );
    if (button) {
      event.preventDefault();
      const name = event.target.name || event.target.dataset.name; // (a rich-text.js box's)
      fieldName = name ? name.slice(block.id.length) : "";
      button.click();
    }
  });

  let dragged = null;
  function clearMarks() {
    document.querySelectorAll("#blocks .drop-before").forEach(function (item) {
      item.classList.remove("drop-before");
    });
  }
  function sibling(target) {
    const item = target.closest && target.closest("li[data-index]");
    return item && dragged && item.parentElement === dragged.parentElement ? item : null;
  }
  document.addEventListener("dragstart", function (event) {
    const handle = event.target.closest && event.target.closest("#blocks .drag-handle");
    if (!handle) return;
    dragged = handle.closest("li[data-index]");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.id);
    event.dataTransfer.setDragImage(dragged, 16, 16);
    dragged.classList.add("dragging");
  });
  document.addEventListener("dragover", function (event) {
    const item = sibling(event.target);
    if (!item) return;
    event.preventDefault();
    clearMarks();
    if (item !== dragged) item.classList.add("drop-before");
  });
  document.addEventListener("drop", function (event) {
    const item = sibling(event.target);
    if (!item) return;
    event.preventDefault();
    const list = dragged.parentElement.dataset.list;
    const from = dragged.dataset.index;
    const to = item.dataset.index;
    if (from !== to) {
      htmx.ajax("POST", window.location.pathname, {
        source: document.getElementById("mail-form"),
        values: { action: "move:" + list + ":" + from + ":" + to },
        target: "#blocks",
        select: "#blocks",
        swap: "outerHTML",
      });
    }
  });
  document.addEventListener("dragend", function () {
    clearMarks();
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });

  // Bold, italic and a link around what is selected in a paragraph's text.
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-wrap]");
    if (!button) return;
    const text = document.getElementById(button.getAttribute("aria-controls"));
    if (!text || text.isContentEditable) return; // rich-text.js formats its boxes
    const start = text.selectionStart;
    const end = text.selectionEnd;
    const chosen = text.value.slice(start, end);
    const tag = button.dataset.wrap;
    const opening = tag === "a" ? '<a href="https://">' : "<" + tag + ">";
    text.value =
      text.value.slice(0, start) + opening + chosen + "</" + tag + ">" + text.value.slice(end);
    text.focus();
    if (tag === "a") {
      // Select "https://" so that the address is typed over it.
      text.setSelectionRange(start + 9, start + 17);
    } else {
      text.setSelectionRange(start + opening.length, start + opening.length + chosen.length);
    }
    text.dispatchEvent(new Event("input", { bubbles: true }));
  });
  function revealTools() {
    document.querySelectorAll(".format-tools").forEach(function (tools) {
      tools.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", revealTools);
  document.addEventListener("htmx:afterSettle", revealTools);
})();

// An image chosen for an image block brings its own description, while the block's is
// empty (the server does the same when the form comes back without script).
document.addEventListener("change", function (event) {
  const choice = event.target;
  if (!choice.matches || !choice.matches(".image-choice input[type=radio]")) return;
  const alt = document.getElementById(choice.name.replace(/-image$/, "-alt"));
  if (alt && !alt.value) {
    alt.value = choice.dataset.alt || "";
    alt.dispatchEvent(new Event("input", { bubbles: true }));
  }
});
