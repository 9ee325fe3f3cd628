// The top bar search: "/" focuses it (app.js); arrows walk the results, Enter opens one,
// Escape clears. Results come from the server as an htmx partial (#search-results).
(function () {
  "use strict";

  var active = -1;

  function input() { return document.querySelector("[data-search]"); }
  function options() {
    var box = document.getElementById("search-results");
    return box ? Array.prototype.slice.call(box.querySelectorAll('[role="option"]')) : [];
  }

  function highlight(index) {
    var list = options();
    var field = input();
    list.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      option.classList.toggle("is-active", i === index);
    });
    active = index;
    if (field) {
      if (index >= 0 && list[index]) field.setAttribute("aria-activedescendant", list[index].id);
      else field.removeAttribute("aria-activedescendant");
    }
  }

  function clear() {
    var box = document.getElementById("search-results");
    if (box) box.innerHTML = "";
    var field = input();
    if (field) field.setAttribute("aria-expanded", "false");
    active = -1;
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "search-results") {
      var field = input();
      if (field) field.setAttribute("aria-expanded", options().length ? "true" : "false");
      highlight(-1);
    }
  });

  document.addEventListener("keydown", function (event) {
    var field = input();
    if (!field || event.target !== field) return;
    var list = options();
    if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      highlight(active + 1 >= list.length ? 0 : active + 1);
    } else if (event.key === "ArrowUp" && list.length) {
      event.preventDefault();
      highlight(active <= 0 ? list.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0 && list[active]) {
      event.preventDefault();
      var option = list[active];
      var link = option.tagName === "A" ? option : option.querySelector("a");
      if (link) window.location.href = link.href;
    } else if (event.key === "Escape") {
      clear();
      field.blur();
    }
  });

  document.addEventListener("click", function (event) {
    var form = event.target.closest && event.target.closest(".topsearch");
    if (!form) clear();
  });
})();
