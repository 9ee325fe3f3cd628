// Command palette (Ctrl/Cmd-K): one ARIA combobox over the workspace's pages (the top bar's
// links), a few actions, and the workspace search (the top bar's search endpoint, so results
// rank exactly as there). Arrows move, Enter opens, Escape closes (the <dialog> gives focus back).
(function () {
  "use strict";

  var dialog, field, list, items = [], active = -1, timer = null, seq = 0, opener = null;
  var views = [];  // the member's saved views, fetched once per page when the palette opens
  var viewsLoaded = false;

  function norm(text) { return (text || "").replace(/\s+/g, " ").trim(); }

  function staticItems() {
    var found = [];
    document.querySelectorAll(".mainnav a").forEach(function (a) {
      found.push({ label: norm(a.textContent), kind: "Page", href: a.href });
    });
    dialog.querySelectorAll("[data-palette-actions] a").forEach(function (a) {
      found.push({ label: norm(a.textContent), kind: a.getAttribute("data-kind") || "Action", href: a.href, dialog: a.getAttribute("data-open-dialog") });
    });
    return found.concat(views);
  }

  function loadViews() {
    var url = dialog.getAttribute("data-views-url");
    if (viewsLoaded || !url) return;
    viewsLoaded = true;
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll("a[data-kind]").forEach(function (a) {
          views.push({ label: norm(a.textContent), kind: "View", href: new URL(a.getAttribute("href"), window.location.href).href });
        });
        // Typed before the views arrived: match them now too (update() re-asks the search).
        if (dialog.open) update();
      })
      .catch(function () { viewsLoaded = false; });
  }

  function render(entries) {
    items = entries;
    list.innerHTML = "";
    entries.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "palette-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var kind = document.createElement("span");
      kind.className = "badge neutral";
      kind.textContent = item.kind;
      li.appendChild(kind);
      li.appendChild(document.createTextNode(" " + item.label));
      li.addEventListener("click", function () { choose(i); });
      list.appendChild(li);
    });
    field.setAttribute("aria-expanded", entries.length ? "true" : "false");
    highlight(entries.length ? 0 : -1);
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (li, i) {
      li.setAttribute("aria-selected", i === index ? "true" : "false");
      li.classList.toggle("is-active", i === index);
      if (i === index) li.scrollIntoView({ block: "nearest" });
    });
    if (index >= 0) field.setAttribute("aria-activedescendant", "palette-option-" + index);
    else field.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    var item = items[index];
    if (!item) return;
    dialog.close();
    if (item.dialog) {
      var other = document.getElementById(item.dialog);
      if (other && other.showModal) other.showModal();
      return;
    }
    window.location.href = item.href;
  }

  function matches(q) {
    var words = q.toLowerCase().split(" ").filter(Boolean);
    return staticItems().filter(function (item) {
      var text = item.label.toLowerCase();
      return words.every(function (w) { return text.indexOf(w) !== -1; });
    });
  }

  function update() {
    var q = norm(field.value);
    var local = matches(q);
    render(local);
    if (!q) return;
    var mine = ++seq;
    var url = dialog.getAttribute("data-search-url") + "?q=" + encodeURIComponent(q);
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (mine !== seq || !html) return;  // a newer query has answered or will
        var doc = new DOMParser().parseFromString(html, "text/html");
        var found = [];
        doc.querySelectorAll('[role="option"]').forEach(function (option) {
          var link = option.tagName === "A" ? option : option.querySelector("a");
          if (!link) return;
          var badge = link.querySelector(".badge");
          var kind = badge ? norm(badge.textContent) : "Search";
          var label = norm(link.textContent);
          if (badge && label.indexOf(kind) === 0) label = norm(label.slice(kind.length));
          found.push({ label: label, kind: kind, href: new URL(link.getAttribute("href"), window.location.href).href });
        });
        render(local.concat(found));
      })
      .catch(function () { /* keep the local matches; the search page still works */ });
  }

  function open() {
    opener = document.activeElement;
    if (!dialog.open) dialog.showModal();
    field.value = "";
    render(staticItems());
    loadViews();
    field.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    dialog = document.getElementById("palette");
    if (!dialog) return;
    field = document.getElementById("palette-input");
    list = document.getElementById("palette-list");
    // Focus goes back where it was; when that was the page itself Chromium would leave it on
    // the hidden field, where typing (and the ? and g shortcuts) would go nowhere.
    dialog.addEventListener("close", function () {
      if (opener && opener !== document.body && document.contains(opener) && opener.focus) opener.focus();
      else if (document.activeElement === field) field.blur();
      opener = null;
    });
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 150);
    });
    field.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp" && items.length) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        event.preventDefault();
        choose(active);
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "k" || event.key === "K")) {
      if (!dialog) return;
      event.preventDefault();
      if (dialog.open) dialog.close();
      else open();
    }
  });
})();
