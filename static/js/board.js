// Board and backlog: drag and drop between and within columns, keyboard moves, autosubmit.
// No inline script (CSP). A move POSTs the task key's neighbours (for the rank), the target
// column and the task's version; the server answers the fresh card. A refused move (409 when
// someone else changed the task first) shows the message and reloads the board from the
// server, so nobody's move is silently lost.
(function () {
  "use strict";

  var dragged = null;
  var origin = null;
  var dropped = false;
  var busy = false;

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRFToken"] || headers["x-csrftoken"] || "";
    } catch (e) {
      return "";
    }
  }

  function cards(zone) {
    return Array.prototype.slice.call(zone.querySelectorAll(":scope > .task-card"));
  }

  function zones() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-drop-zone]"));
  }

  function announce(text) {
    var region = document.getElementById("move-announcer");
    if (region) region.textContent = text;
  }

  function flash(html) {
    var region = document.getElementById("flash");
    if (region) region.insertAdjacentHTML("beforeend", html);
  }

  // Column counts and WIP flags follow the cards without a round trip.
  function refreshCounts() {
    document.querySelectorAll("[data-column]").forEach(function (column) {
      var zone = column.querySelector("[data-drop-zone]");
      if (!zone) return;
      // Cards not loaded yet (a column shows its first cards) still count: the "show more"
      // link carries how many remain.
      var more = zone.querySelector(":scope > .load-more");
      var count = cards(zone).length + (more ? parseInt(more.getAttribute("data-remaining") || "0", 10) : 0);
      var counter = column.querySelector("[data-count]");
      if (counter) counter.textContent = String(count);
      var limit = parseInt(column.getAttribute("data-wip-limit") || "", 10);
      var over = !isNaN(limit) && count > limit;
      column.classList.toggle("over-limit", over);
      var badge = column.querySelector("[data-over]");
      if (badge) badge.hidden = !over;
    });
  }

  function reloadBoard(container) {
    var url = container && container.getAttribute("data-reload-url");
    if (!url) { window.location.reload(); return Promise.resolve(); }
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#" + container.id) || holder.firstElementChild;
        if (!fresh) return;
        container.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        refreshCounts();
      });
  }

  // A column's next cards arrived: counts stay true (the new link carries the new remainder).
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.closest && event.target.closest("[data-drop-zone]")) refreshCounts();
  });

  // POST where `card` now sits; swap in the server's card, or reload on refusal.
  function commit(card, focusAfter) {
    var zone = card.parentElement;
    var url = card.getAttribute("data-move-url");
    if (!zone || !url) return Promise.resolve();
    var siblings = cards(zone);
    var index = siblings.indexOf(card);
    var previous = siblings[index - 1];
    var next = siblings[index + 1];
    var body = new FormData();
    body.append("version", card.getAttribute("data-version") || "");
    body.append("after", previous ? previous.getAttribute("data-key") : "");
    body.append("before", next ? next.getAttribute("data-key") : "");
    if (zone.hasAttribute("data-state")) body.append("state", zone.getAttribute("data-state"));
    if (zone.getAttribute("data-as")) body.append("as", zone.getAttribute("data-as"));
    var container = zone.closest("[data-board]");
    busy = true;
    card.classList.add("is-saving");
    refreshCounts();
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.firstElementChild;
          if (fresh) {
            card.replaceWith(fresh);
            if (window.htmx) window.htmx.process(fresh);
            if (focusAfter) fresh.focus();
            var columnName = zone.getAttribute("data-state-name");
            announce(fresh.getAttribute("data-key") + " moved" + (columnName ? " to " + columnName : "") +
              ", position " + (index + 1) + " of " + siblings.length + ".");
          }
          refreshCounts();
          return;
        }
        flash(html);
        return reloadBoard(container).then(function () {
          var again = document.getElementById(card.id);
          if (again && focusAfter) again.focus();
        });
      });
    }).catch(function () {
      flash('<div class="flash flash-error" role="alert">The move could not be saved (network). The board was reloaded.<button type="button" class="flash-close" aria-label="Dismiss" data-dismiss>&times;</button></div>');
      return reloadBoard(container);
    }).then(function () { busy = false; });
  }

  // ---- mouse: HTML5 drag and drop ----
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".task-card[data-move-url]");
    if (!card || busy) return;
    dragged = card;
    dropped = false;
    origin = { parent: card.parentElement, next: card.nextElementSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-key"));
    card.classList.add("is-dragging");
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (!zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    var others = cards(zone).filter(function (c) { return c !== dragged; });
    var before = null;
    for (var i = 0; i < others.length; i++) {
      var box = others[i].getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) { before = others[i]; break; }
    }
    if (before) {
      if (dragged.nextElementSibling !== before) zone.insertBefore(dragged, before);
    } else {
      var more = zone.querySelector(":scope > .load-more");
      if (more) zone.insertBefore(dragged, more);
      else if (zone.lastElementChild !== dragged) zone.appendChild(dragged);
    }
  });

  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (!zone) return;
    event.preventDefault();
    dropped = true;
    var card = dragged;
    var moved = card.parentElement !== origin.parent || card.nextElementSibling !== origin.next;
    if (moved) commit(card, false);
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("is-dragging");
    if (!dropped && origin) origin.parent.insertBefore(dragged, origin.next);
    dragged = null;
    origin = null;
    refreshCounts();
  });

  // ---- keyboard ----
  // Arrows move the focus between cards; Alt+arrows (or "m", then arrows, then Enter or
  // Escape) move the card itself: left/right to the previous/next column, up/down within it.
  var moving = null;

  function neighbourZone(zone, step) {
    var all = zones();
    return all[all.indexOf(zone) + step] || null;
  }

  function moveCard(card, direction) {
    var zone = card.parentElement;
    var siblings = cards(zone);
    var index = siblings.indexOf(card);
    if (direction === "up" || direction === "down") {
      var target = siblings[index + (direction === "up" ? -1 : 1)];
      if (!target) return;
      zone.insertBefore(card, direction === "up" ? target : target.nextElementSibling);
    } else {
      var other = neighbourZone(zone, direction === "left" ? -1 : 1);
      if (!other) return;
      var targetCards = cards(other);
      var anchor = targetCards[Math.min(index, targetCards.length)] || other.querySelector(":scope > .load-more");
      other.insertBefore(card, anchor || null);
    }
    card.focus();
    commit(card, true).then(function () {
      if (moving) {
        moving = document.getElementById(card.id);
        if (moving) moving.classList.add("is-moving");
      }
    });
  }

  function focusNeighbour(card, direction) {
    var zone = card.parentElement;
    var siblings = cards(zone);
    var index = siblings.indexOf(card);
    var target = null;
    if (direction === "up") target = siblings[index - 1];
    else if (direction === "down") target = siblings[index + 1];
    else {
      var other = neighbourZone(zone, direction === "left" ? -1 : 1);
      while (other && !cards(other).length) other = neighbourZone(other, direction === "left" ? -1 : 1);
      if (other) {
        var list = cards(other);
        target = list[Math.min(index, list.length - 1)];
      }
    }
    if (target) target.focus();
  }

  var ARROWS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };

  document.addEventListener("keydown", function (event) {
    var card = document.activeElement;
    if (!card || !card.classList || !card.classList.contains("task-card") || event.target !== card) return;
    var direction = ARROWS[event.key];
    var canMove = card.hasAttribute("data-move-url");
    if (event.key === "m" && canMove && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      if (moving) { moving.classList.remove("is-moving"); moving = null; announce("Move finished."); }
      else { moving = card; card.classList.add("is-moving"); announce("Moving " + card.getAttribute("data-key") + ": use the arrow keys, then Enter."); }
      return;
    }
    if (moving && (event.key === "Enter" || event.key === "Escape")) {
      event.preventDefault();
      card.classList.remove("is-moving");
      moving = null;
      announce("Move finished.");
      return;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      window.location.href = card.getAttribute("data-href");
      return;
    }
    if (!direction) return;
    event.preventDefault();
    if ((event.altKey || moving) && canMove) {
      if (!busy) moveCard(card, direction);
    } else {
      focusNeighbour(card, direction);
    }
  });

  // Selects that filter or switch as soon as they change (the form still works without JS).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });
})();
