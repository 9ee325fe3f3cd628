// What live pages do with live.js's messages: board cards, backlog order, task page regions,
// dashboards' "updated" notice. Content always comes from the page's own URLs, so what a
// person sees passed the same permission checks as a reload.
(function () {
  "use strict";

  function later(fn, wait) {
    var timer = null;
    return function () {
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(function () { timer = null; fn(); }, wait);
    };
  }

  function fetchHtml(url) {
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    });
  }

  function board() { return document.querySelector("#board[data-card-url]"); }

  function counts() { if (window.AlignmentBoard) window.AlignmentBoard.refreshCounts(); }

  function reload(container) {
    if (container && window.AlignmentBoard) window.AlignmentBoard.reloadBoard(container);
  }

  // A card moved, appeared or changed: fetch it as this viewer sees it and put it where the
  // server says it sits (after its left/upper neighbour, else before the next one).
  function placeCard(message) {
    var container = board();
    if (!container) return;
    var existing = document.getElementById("task-" + message.key);
    if (existing && parseInt(existing.getAttribute("data-version") || "0", 10) >= message.version) return;
    if (window.AlignmentBoard && window.AlignmentBoard.isBusy()) { window.setTimeout(function () { placeCard(message); }, 300); return; }
    var sprint = container.getAttribute("data-sprint");
    var zone = container.querySelector('[data-drop-zone][data-state="' + message.state + '"]');
    if (!zone || String(message.sprint) !== sprint) {
      if (existing) { existing.remove(); counts(); }
      return;
    }
    var url = container.getAttribute("data-card-url").replace("KEY-1", encodeURIComponent(message.key));
    fetchHtml(url).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var card = holder.firstElementChild;
      if (!card) return;
      var old = document.getElementById("task-" + message.key);
      if (old && parseInt(old.getAttribute("data-version") || "0", 10) > parseInt(card.getAttribute("data-version") || "0", 10)) return;
      if (old) old.remove();
      var after = message.after && zone.querySelector(':scope > [data-key="' + message.after + '"]');
      var before = message.before && zone.querySelector(':scope > [data-key="' + message.before + '"]');
      if (after) after.after(card);
      else if (before) before.before(card);
      else if (!message.after) zone.prepend(card);
      else zone.insertBefore(card, zone.querySelector(":scope > .load-more"));
      if (window.htmx) window.htmx.process(card);
      card.classList.add("is-live-updated");
      counts();
    }).catch(function () { /* the next reload shows it */ });
  }

  function removeCard(message) {
    var card = document.getElementById("task-" + message.key);
    if (card) { card.remove(); counts(); }
  }

  var reloadBoard = later(function () { reload(board()); }, 200);
  // Not while rows are ticked for a bulk action: the person's selection would be lost.
  var reloadBacklog = later(function () {
    var backlog = document.getElementById("backlog");
    if (backlog && !backlog.querySelector("input[type=checkbox]:checked")) reload(backlog);
  }, 400);

  // Task page (and any page): swap the regions marked data-live-region from a fresh copy of
  // the page, except one the person is typing in.
  var refreshRegions = later(function () {
    var regions = document.querySelectorAll("[data-live-region][id]");
    if (!regions.length) return;
    fetchHtml(window.location.href).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      regions.forEach(function (region) {
        if (region.contains(document.activeElement) && document.activeElement !== document.body) return;
        var replacement = fresh.getElementById(region.id);
        if (!replacement) return;
        var adopted = document.importNode(replacement, true);
        region.replaceWith(adopted);
        if (window.htmx) window.htmx.process(adopted);
      });
    }).catch(function () { /* the next reload shows it */ });
  }, 250);

  function showUpdatedNotice() {
    document.querySelectorAll("[data-live-notice]").forEach(function (node) { node.hidden = false; });
  }

  function register(live) {
    live.on("card", placeCard);
    live.on("card.removed", removeCard);
    live.on("board", reloadBoard);
    live.on("backlog", reloadBacklog);
    live.on("task", refreshRegions);
    live.on("comment", refreshRegions);
    live.on("rollups", showUpdatedNotice);
    live.on("reconnected", function () {
      // Messages sent while the socket was down are gone: read the page's state again.
      if (board()) reloadBoard();
      if (document.getElementById("backlog")) reloadBacklog();
      refreshRegions();
      if (document.querySelector("[data-live-notice]")) showUpdatedNotice();
    });
  }

  if (window.AlignmentLive) register(window.AlignmentLive);
  else (window.AlignmentLiveQueue = window.AlignmentLiveQueue || []).push(register);
})();
