// Makes the mail preview's frame as tall as the mail, so the whole mail shows down to its
// footer with no scrolling inside the frame: when a preview loads (htmx puts a new frame in)
// and when the window changes width. The frame is sandboxed without scripts but same-origin,
// so its height can be read from here. Without this script the frame scrolls inside.
(function () {
  "use strict";

  const BORDERS = 2; // staff.css: 1px above and below, inside the height (border-box)

  function fit(frame) {
    const mail = frame.contentDocument && frame.contentDocument.documentElement;
    if (mail) {
      frame.style.height = Math.ceil(mail.getBoundingClientRect().height) + BORDERS + "px";
    }
  }

  // A frame's load event does not bubble: catch it on its way down.
  document.addEventListener("load", function (event) {
    if (event.target instanceof HTMLIFrameElement && event.target.matches(".mail-frame")) {
      fit(event.target);
    }
  }, true);
  window.addEventListener("resize", function () {
    document.querySelectorAll("iframe.mail-frame").forEach(fit);
  });
})();
