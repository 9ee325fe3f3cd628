// Confirm destructive actions: <form data-confirm="Delete this document?">. Loaded in <head>
// without `defer`, before any form is parsed: a deferred handler left a gap on a slow load in
// which a click on Delete submitted without asking (seen in a browser test under load). It
// listens on `document`, so it needs nothing else on the page. No inline script (CSP).
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  document.addEventListener("htmx:confirm", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (!message) return;
    event.preventDefault();
    if (window.confirm(message)) event.detail.issueRequest(true);
  });
})();
