// OKR pages: the check-in dialog. No inline script anywhere (CSP); htmx does the requests.
(function () {
  "use strict";

  // <a href="…/check-in/" data-dialog="check-in-12"> opens <dialog id="check-in-12">; without
  // JavaScript the link leads to the check-in page instead.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog"));
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) open.close();
    }
  });

  // A saved check-in (2xx: the KR row came back) closes its dialog and clears the note;
  // a 422 re-renders the form inside the dialog, which stays open.
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!source || !source.closest || !xhr) return;
    var dialog = source.closest("dialog[data-check-in]");
    if (dialog && xhr.status >= 200 && xhr.status < 300) {
      dialog.close();
      dialog.querySelectorAll("textarea").forEach(function (note) { note.value = ""; });
    }
  });
})();
