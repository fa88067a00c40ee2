// The mail designer's texts with a little markup (a paragraph, a list's items, the footer),
// written as formatted text instead of HTML: each such textarea (data-format) gets an
// editable box beside it and is hidden, but still sent, holding the box's text as the few
// tags the mail allows (strong, em, a, br; a list's items one per line). Without script the
// textarea stays as it is, and the server cleans what it gets either way.
(function () {
  "use strict";

  const ADDRESS = /^(https:\/\/\S+|mailto:\S+|\{\{ ?\w+ ?\}\})$/;
  const KEEP = { STRONG: "strong", B: "strong", EM: "em", I: "em" };

  function escapeText(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // The HTML of a node's children with only the allowed tags; a block (a div or p the
  // browser made for a new line) starts a new line.
  function clean(node) {
    let html = "";
    node.childNodes.forEach(function (child) {
      if (child.nodeType === Node.TEXT_NODE) {
        html += escapeText(child.nodeValue.replace(/\u00a0/g, " "));
      } else if (child.nodeType !== Node.ELEMENT_NODE) {
        return;
      } else if (child.tagName === "BR") {
        html += "<br>";
      } else if (KEEP[child.tagName]) {
        const inner = clean(child);
        html += inner ? "<" + KEEP[child.tagName] + ">" + inner + "</" + KEEP[child.tagName] + ">" : "";
      } else if (child.tagName === "A" && ADDRESS.test(child.getAttribute("href") || "")) {
        const href = child.getAttribute("href").replace(/&/g, "&amp;").replace(/"/g, "&quot;");
        html += '<a href="' + href + '">' + clean(child) + "</a>";
      } else if (child.tagName === "DIV" || child.tagName === "P") {
        const inner = clean(child);
        if (html && !html.endsWith("<br>")) html += "<br>";
        html += inner === "<br>" ? "<br>" : inner + (child.nextSibling ? "<br>" : "");
      } else {
        html += clean(child);
      }
    });
    return html;
  }

  function tidy(html) {
    return html.replace(/(<br>)+$/, "").replace(/<br><\/(strong|em|a)>/g, "</$1><br>");
  }

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  // What the textarea holds, as the box shows it (a list's lines as line breaks).
  function toBox(textarea) {
    const lines = textarea.dataset.format === "lines" ? textarea.value.split("\n") : [textarea.value];
    return lines.map(function (line) { return clean(parse(line)); }).join("<br>");
  }

  function toTextarea(box, textarea) {
    const html = tidy(clean(box));
    return textarea.dataset.format === "lines" ? html.replace(/<br>/g, "\n") : html;
  }

  function enhance(textarea) {
    const label = document.querySelector('label[for="' + textarea.id + '"]');
    const box = document.createElement("div");
    box.id = textarea.id + "_rich";
    box.className = "rich-text";
    box.contentEditable = "true";
    box.spellcheck = true;
    box.setAttribute("role", "textbox");
    box.setAttribute("aria-multiline", "true");
    box.dataset.name = textarea.name;
    if (label) {
      label.id = label.id || textarea.id + "_label";
      box.setAttribute("aria-labelledby", label.id);
    }
    box.innerHTML = toBox(textarea);
    textarea.dataset.rich = box.id;
    document.querySelectorAll('[aria-controls="' + textarea.id + '"]').forEach(function (button) {
      button.setAttribute("aria-controls", box.id);
    });
    textarea.hidden = true;
    textarea.after(box);
    const help = document.getElementById(textarea.id + "_help");
    if (help && textarea.dataset.format !== "lines") help.hidden = true; // the tags it names
    else if (help) box.setAttribute("aria-describedby", help.id);
    box.addEventListener("input", function () {
      textarea.value = toTextarea(box, textarea);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  function enhanceAll() {
    document.querySelectorAll("#mail-form textarea[data-format]:not([data-rich])").forEach(enhance);
  }
  document.addEventListener("DOMContentLoaded", enhanceAll);
  document.addEventListener("htmx:load", enhanceAll);
  document.addEventListener("htmx:afterSwap", enhanceAll);

  // Where the cursor was in each box, for the buttons and the personal fields, which take
  // the focus away from it.
  document.addEventListener("selectionchange", function () {
    const selection = document.getSelection();
    const node = selection.rangeCount && selection.anchorNode;
    const box = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    const rich = box && box.closest(".rich-text");
    if (rich) rich.lastRange = selection.getRangeAt(0).cloneRange();
  });
  function restore(box) {
    box.focus();
    if (box.lastRange) {
      const selection = document.getSelection();
      selection.removeAllRanges();
      selection.addRange(box.lastRange);
    }
  }
  window.patronflowRichText = { restore: restore };

  function linkAround(box) {
    const node = document.getSelection().anchorNode;
    const element = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    const link = element && element.closest("a");
    return link && box.contains(link) ? link : null;
  }

  // Link: asks for the address; an address already there can be changed, or emptied to
  // take the link away.
  function editLink(box, tools) {
    const link = linkAround(box);
    const answer = window.prompt(tools.dataset.ask, link ? link.getAttribute("href") : "https://");
    if (answer === null) return;
    const address = answer.trim();
    if (!address && link) {
      link.replaceWith.apply(link, Array.from(link.childNodes));
    } else if (!ADDRESS.test(address)) {
      window.alert(tools.dataset.refuse);
      return;
    } else if (link) {
      link.setAttribute("href", address);
    } else {
      document.execCommand("createLink", false, address);
      return; // (the command says so itself)
    }
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function format(box, what, tools) {
    restore(box);
    if (what === "a") {
      editLink(box, tools);
    } else {
      document.execCommand(what === "strong" ? "bold" : "italic");
    }
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-wrap]");
    const box = button && document.getElementById(button.getAttribute("aria-controls"));
    if (box && box.isContentEditable) format(box, button.dataset.wrap, button.closest(".format-tools"));
  });

  // Ctrl/Cmd+B and +I as the buttons (underlining, which mails keep for links, not at all);
  // a label's click goes to its box; pasting brings text only.
  document.addEventListener("keydown", function (event) {
    const box = event.target.closest && event.target.closest(".rich-text");
    if (!box || !(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "b" || key === "i" || key === "u") {
      event.preventDefault();
      if (key !== "u") document.execCommand(key === "b" ? "bold" : "italic");
    }
  });
  document.addEventListener("click", function (event) {
    const label = event.target.closest && event.target.closest("label[for]");
    const textarea = label && document.getElementById(label.htmlFor);
    if (textarea && textarea.dataset.rich) document.getElementById(textarea.dataset.rich).focus();
  });
  document.addEventListener("paste", function (event) {
    if (!event.target.closest || !event.target.closest(".rich-text")) return;
    event.preventDefault();
    document.execCommand("insertText", false, event.clipboardData.getData("text/plain"));
  });
})();
