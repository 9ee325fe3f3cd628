// Behaviour that htmx attributes do not cover. No inline script anywhere (CSP).
(function () {
  "use strict";

  // Dismiss flash messages; auto-hide the calm ones.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) button.parentElement.remove();
  });
  function autoHide(root) {
    root.querySelectorAll(".flash-success, .flash-info").forEach(function (el) {
      setTimeout(function () { el.remove(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { autoHide(document); });
  document.addEventListener("htmx:afterSwap", function (event) { autoHide(event.target); });

  // Close open <details> menus on outside click or Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // Phone navigation: the Menu button opens the panel of links and search. Opening moves
  // focus to the first link; Escape (or a click outside) closes it and gives focus back.
  function navToggle() { return document.querySelector("[data-nav-toggle]"); }
  function setNav(open, returnFocus) {
    var button = navToggle();
    if (!button) return;
    var bar = button.closest(".topbar");
    button.setAttribute("aria-expanded", open ? "true" : "false");
    bar.classList.toggle("nav-open", open);
    if (open) {
      var first = document.getElementById(button.getAttribute("aria-controls")).querySelector("a, input");
      if (first) first.focus();
    } else if (returnFocus) {
      button.focus();
    }
  }
  document.addEventListener("click", function (event) {
    var button = navToggle();
    if (!button) return;
    if (event.target.closest("[data-nav-toggle]")) {
      setNav(button.getAttribute("aria-expanded") !== "true", false);
    } else if (button.getAttribute("aria-expanded") === "true" && !event.target.closest("#" + button.getAttribute("aria-controls"))) {
      setNav(false, false);
    }
  });
  document.addEventListener("keydown", function (event) {
    var button = navToggle();
    if (event.key !== "Escape" || !button || button.getAttribute("aria-expanded") !== "true") return;
    // An open search listbox closes first (search.js); the next Escape closes the menu.
    var search = document.querySelector("[data-search]");
    if (search && document.activeElement === search && search.getAttribute("aria-expanded") === "true") return;
    setNav(false, true);
    event.preventDefault();
  });
  // Widening the window past the phone layout leaves no stale open state behind.
  window.addEventListener("resize", function () {
    var button = navToggle();
    if (button && button.getAttribute("aria-expanded") === "true" && getComputedStyle(button).display === "none") setNav(false, false);
  });

  // Copy-to-clipboard buttons: <button data-copy="#element-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      });
    }
  });

  // Confirmation of destructive actions (data-confirm) is confirm.js, loaded before the body.

  // Keyboard shortcuts: "g h" home, "g o" OKRs, "/" search, "?" help. Links opt in with
  // data-shortcut="g x", so each page's navigation decides what is reachable.
  var pending = null;
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(document.activeElement)) return;
    if (event.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (m) { m.removeAttribute("open"); });
      return;
    }
    if (event.key === "?") {
      var help = document.getElementById("shortcuts");
      if (help && help.showModal) { help.showModal(); event.preventDefault(); }
      return;
    }
    if (event.key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { search.focus(); event.preventDefault(); }
      return;
    }
    if (pending) {
      var combo = pending + " " + event.key;
      pending = null;
      var link = document.querySelector('[data-shortcut="' + combo + '"]');
      if (link) { window.location.href = link.href; event.preventDefault(); }
      return;
    }
    if (event.key === "g") {
      pending = "g";
      setTimeout(function () { pending = null; }, 1200);
    }
  });
})();
