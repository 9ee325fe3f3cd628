// The rule builder (templates/automation/_rule_builder.html): a new row gets the next free
// number, a removed row goes and hands the focus on, and a new row takes the focus. The rows
// themselves are drawn by the server (htmx); without this file the form still works by posting
// back ("Add a condition" re-renders the form with a blank row; "(skip this row)" drops one).
(function () {
  "use strict";

  function rowNumber(row) {
    var match = /^(?:cond|act)-(\d+)-row$/.exec(row.id);
    return match ? parseInt(match[1], 10) : -1;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var button = event.detail.elt;
    if (!button.matches || !button.matches("[data-add-row]")) return;
    var form = button.closest("form");
    var next = 0;
    form.querySelectorAll("[data-rule-row]").forEach(function (row) {
      next = Math.max(next, rowNumber(row) + 1);
    });
    var list = document.querySelector(button.getAttribute("hx-target"));
    event.detail.parameters.index = String(next);
    event.detail.parameters.number = String(list.querySelectorAll("[data-rule-row]").length + 1);
  });

  // After settling: htmx has bound the new row's own controls by then (its kind select redraws
  // the row), so a keyboard user who acts at once is heard.
  document.addEventListener("htmx:afterSettle", function (event) {
    var list = event.detail.target;
    if (!list.classList || !list.classList.contains("rule-rows")) return;
    var empty = list.querySelector("[data-empty-rows]");
    if (empty) empty.remove();
    var rows = list.querySelectorAll("[data-rule-row]");
    var added = rows[rows.length - 1];
    var first = added && added.querySelector("select, input");
    if (first) first.focus();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) return;
    var row = button.closest("[data-rule-row]");
    var builder = row.closest(".rule-builder");
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    var target = (next && next.querySelector && next.querySelector("select, input")) ||
      builder.querySelector("[data-add-row]");
    if (target) target.focus();
  });
})();
