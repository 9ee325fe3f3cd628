// Task picker: an ARIA 1.2 combobox (input + listbox) over the tasks the member may see.
// Delegated from the document, so sections swapped in by htmx work without re-binding.
// ↓/↑ move through the options, Enter picks one (without submitting), Escape closes.
(function () {
  "use strict";
  if (window.alignmentTaskPicker) return;
  window.alignmentTaskPicker = true;
  var timers = new WeakMap();

  function isPicker(el) {
    return el instanceof HTMLInputElement && el.getAttribute("role") === "combobox" && !!el.closest(".task-picker");
  }
  function parts(input) {
    var box = input.closest(".task-picker");
    return { box: box, list: box && document.getElementById(input.getAttribute("aria-controls")) };
  }
  function options(list) {
    return Array.prototype.slice.call(list.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }
  function close(input) {
    var p = parts(input);
    if (!p.list) return;
    p.list.hidden = true;
    p.list.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function activate(input, option) {
    var p = parts(input);
    options(p.list).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }
  function pick(input, option) {
    input.value = option.getAttribute("data-key");
    close(input);
    input.focus();
  }
  function load(input) {
    var p = parts(input);
    var query = input.value.trim();
    if (!query) { close(input); return; }
    var url = p.box.getAttribute("data-picker-url") + "&q=" + encodeURIComponent(query);
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (input.value.trim() !== query) return; // typed on since: a newer answer follows
        p.list.innerHTML = html;
        p.list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        input.removeAttribute("aria-activedescendant");
      });
  }

  document.addEventListener("input", function (e) {
    var input = e.target;
    if (!isPicker(input)) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { load(input); }, 150));
  });
  document.addEventListener("keydown", function (e) {
    var input = e.target;
    if (!isPicker(input)) return;
    var p = parts(input);
    if (!p.list) return;
    var open = !p.list.hidden;
    var all = options(p.list);
    var current = document.getElementById(input.getAttribute("aria-activedescendant") || "");
    var index = all.indexOf(current);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!open) { load(input); return; }
      if (!all.length) return;
      var step = e.key === "ArrowDown" ? 1 : -1;
      activate(input, all[(index + step + all.length) % all.length]);
    } else if (e.key === "Enter" && open && current) {
      e.preventDefault(); // pick, do not submit yet: a second Enter submits
      pick(input, current);
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      close(input);
    }
  });
  document.addEventListener("click", function (e) {
    var option = e.target.closest && e.target.closest('.picker-listbox [role="option"]');
    if (option && option.getAttribute("aria-disabled") !== "true") {
      var input = document.querySelector('[aria-controls="' + option.parentElement.id + '"]');
      if (input) pick(input, option);
      return;
    }
    document.querySelectorAll('.task-picker [role="combobox"][aria-expanded="true"]').forEach(function (input) {
      if (!input.closest(".task-picker").contains(e.target)) close(input);
    });
  });

  // After htmx swaps the shaping section, put focus back into the form that was sent (its
  // first invalid field, else its first field), so keyboard users keep their place.
  var lastForm = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.target.closest && e.target.closest("#shaping form");
    lastForm = form ? form.getAttribute("aria-label") : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!lastForm) return;
    var form = document.querySelector('#shaping form[aria-label="' + lastForm + '"]');
    lastForm = null;
    if (!form) return;
    var field = form.querySelector('[aria-invalid="true"], .has-error input, .has-error select') ||
      form.querySelector("input:not([type=hidden]), select");
    if (field) field.focus();
  });
})();
