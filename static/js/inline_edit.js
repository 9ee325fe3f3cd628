// Inline editing of task fields (task page and board side panel). The partials carry the
// htmx attributes; this adds the keyboard: Enter saves (Ctrl/Cmd+Enter in a text area),
// Escape cancels, and focus lands on what the person works with next (the field after it
// opens, its Edit button after a save or cancel, "Use mine" on a conflict). No inline script.
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var form = event.target.closest && event.target.closest("form[data-inline-edit]");
    if (!form) return;
    if (event.key === "Escape") {
      var cancel = form.querySelector("[data-inline-cancel]");
      if (cancel) {
        event.preventDefault();
        event.stopPropagation();
        cancel.click();
      }
      return;
    }
    if (event.key !== "Enter" || event.shiftKey || event.altKey) return;
    var tag = event.target.tagName;
    if (tag === "BUTTON" || tag === "A") return;
    if (tag === "TEXTAREA" && !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    // Through the form's own Save button, as a click: after a Preview, requestSubmit() sent
    // nothing in Chromium (htmx remembers the last button clicked in the form).
    // htmx wires a swapped-in form when it settles (20 ms later), but the browser autofocuses
    // its field at once: an Enter in between would submit natively and leave the page (a
    // board's side panel turned into the task page). Wiring twice is a no-op.
    if (window.htmx) window.htmx.process(form);
    var save = form.querySelector("button[type=submit]");
    if (save) save.click(); else form.requestSubmit();
  }, true);

  // htmx fires afterSettle on the swapped-in element: a field that was just opened, saved,
  // cancelled or refused gets the focus where the person continues.
  document.addEventListener("htmx:afterSettle", function (event) {
    var element = event.target;
    if (element && element.matches && element.matches(".inline-field")) focusIn(element);
  });

  function focusIn(element) {
    if (element.matches("form[data-inline-edit]")) {
      if (element.classList.contains("inline-conflict")) {
        var mine = element.querySelector("button[type=submit]");
        if (mine) mine.focus();
        return;
      }
      var invalid = element.querySelector(".has-error input:not([type=hidden]), .has-error select, .has-error textarea");
      var first = invalid || element.querySelector("[autofocus]") ||
        element.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      return;
    }
    var open = element.querySelector("[data-inline-open]");
    if (open) open.focus();
  }
})();
