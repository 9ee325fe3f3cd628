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

  // The undo toast of a move or a shortcut's change (the server renders it; see tasks.undo).
  // It goes into #flash, above the page in the flow, so it never covers a button.
  function showUndo(response) {
    var toast = response.headers.get("X-Undo-Toast");
    if (!toast) return;
    var region = document.getElementById("flash");
    if (!region) return;
    region.querySelectorAll(".flash-undo").forEach(function (old) { old.remove(); });
    region.insertAdjacentHTML("beforeend", decodeURIComponent(toast));
    if (window.htmx) window.htmx.process(region.lastElementChild);
  }

  // ---- card shortcuts: s state, a assignee, p priority, l labels, Shift+E points ----
  // The server sends the field's small form; it opens in a modal dialog (focus inside,
  // Escape closes and gives focus back to the card). Saving swaps in the fresh card.
  var FIELD_KEYS = { s: "state", a: "assignee", p: "priority", l: "labels", E: "points" };  // e: the side panel

  function fieldDialog() {
    var dialog = document.getElementById("field-dialog");
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.id = "field-dialog";
      dialog.className = "dialog";
      dialog.setAttribute("aria-labelledby", "field-dialog-title");
      document.body.appendChild(dialog);
    }
    return dialog;
  }

  function fieldUrl(card, name) {
    var base = (card.getAttribute("data-card-url") || "").split("?")[0];
    var url = base.replace(/card\/$/, "shortcut/" + name + "/");
    return card.classList.contains("backlog-row") ? url + "?as=row" : url;
  }

  function openField(card, name) {
    var dialog = fieldDialog();
    var cardId = card.id;
    fetch(fieldUrl(card, name), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) {
          if (!response.ok) { flash(html); return; }
          fillDialog(dialog, html, cardId);
          if (!dialog.open) dialog.showModal();
          var first = dialog.querySelector("select, input:not([type=hidden]), textarea");
          if (first) first.focus();
        });
      });
  }

  function fillDialog(dialog, html, cardId) {
    dialog.innerHTML = html;
    dialog.setAttribute("data-card", cardId);
    var form = dialog.querySelector("[data-field-form]");
    if (!form) return;
    var cancel = form.querySelector("[data-field-cancel]");
    if (cancel) cancel.addEventListener("click", function () { dialog.close(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      saveField(dialog, form);
    });
    // Enter saves from a select or a checkbox too (browsers submit only from text fields).
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !/^(SELECT|INPUT)$/.test(event.target.tagName)) return;
      if (event.target.tagName === "INPUT" && event.target.type !== "checkbox") return;
      event.preventDefault();
      saveField(dialog, form);
    });
  }

  function saveField(dialog, form) {
    var card = document.getElementById(dialog.getAttribute("data-card"));
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.status === 422) {
          fillDialog(dialog, html, dialog.getAttribute("data-card"));
          var invalid = dialog.querySelector("[aria-invalid=true], select, input:not([type=hidden])");
          if (invalid) invalid.focus();
          return;
        }
        dialog.close();
        if (!response.ok) {
          flash(html);
          if (card) reloadBoard(card.closest("[data-board]"));
          return;
        }
        showUndo(response);
        if (!card) return;
        var board = card.closest("[data-board]");
        if (form.action.indexOf("/shortcut/state/") !== -1 && card.parentElement && card.parentElement.hasAttribute("data-state")) {
          // Another state is another column: the board is read again, the focus follows the card.
          var cardId = card.id;
          reloadBoard(board).then(function () {
            var moved = document.getElementById(cardId);
            if (moved) moved.focus();
            announce(cardId.replace(/^task-/, "") + " saved.");
          });
          return;
        }
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.firstElementChild;
        if (!fresh) return;
        card.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        fresh.focus();
        announce(fresh.getAttribute("data-key") + " saved.");
        refreshCounts();
      });
    });
  }

  document.addEventListener("close", function (event) {
    // Focus goes back to the card the dialog was about.
    if (!event.target || event.target.id !== "field-dialog") return;
    var card = document.getElementById(event.target.getAttribute("data-card") || "");
    if (card) card.focus();
  }, true);

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

  // live_pages.js places cards other people moved, then asks for the counts and reloads.
  window.AlignmentBoard = { refreshCounts: refreshCounts, reloadBoard: reloadBoard, isBusy: function () { return busy || !!dragged; } };

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
          showUndo(response);
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

  function isSorted(zone) {
    var board = zone && zone.closest("[data-board]");
    return !!(board && board.hasAttribute("data-sorted"));
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
    if (isSorted(zone)) {
      // Sorted columns (a `sort:` in the filter) keep their order: a card dropped back in its
      // own column stays where it was, one dropped in another goes to its end.
      if (zone === origin.parent) {
        if (dragged.parentElement !== zone || dragged.nextElementSibling !== origin.next) zone.insertBefore(dragged, origin.next);
      } else if (dragged.parentElement !== zone) {
        zone.insertBefore(dragged, zone.querySelector(":scope > .load-more"));
      }
      return;
    }
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
      if (isSorted(zone)) return;  // the sort decides the order within a column
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
    if (event.key === "e" && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var toggle = card.querySelector(".quick-edit-toggle");
      if (toggle) { event.preventDefault(); openPanel(card, toggle); }
      return;
    }
    var field = FIELD_KEYS[event.key];
    if (field && !moving && !event.ctrlKey && !event.metaKey && !event.altKey && card.hasAttribute("data-card-url")) {
      event.preventDefault();
      openField(card, field);
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

  // ---- the side panel: every field of one card, edited in place ----
  // "e" on a focused card (or its Quick edit button) loads the panel (the server retargets
  // the answer to #task-panel); Escape or Close hides it and gives focus back to the card. A
  // save in the panel reloads the board, so the card shows what was saved.
  var opener = null;

  function panel() { return document.getElementById("task-panel"); }

  function openPanel(card, toggle) {
    opener = card.id;
    if (window.htmx) window.htmx.trigger(toggle, "click");
  }

  function closePanel() {
    var box = panel();
    if (!box || box.hidden) return;
    box.hidden = true;
    box.innerHTML = "";
    var card = opener && document.getElementById(opener);
    if (card) card.focus();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var toggle = event.target.closest && event.target.closest(".quick-edit-toggle");
    if (toggle) opener = toggle.closest(".task-card").id;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = panel();
    if (!box || event.detail.target !== box) return;
    box.hidden = false;
    var heading = box.querySelector("#task-panel-heading");
    if (heading) heading.focus();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-panel-close]")) closePanel();
  });

  document.addEventListener("keydown", function (event) {
    var box = panel();
    if (event.key !== "Escape" || !box || box.hidden || !box.contains(document.activeElement)) return;
    event.preventDefault();
    closePanel();
  });

  document.addEventListener("taskSaved", function () {
    var board = document.getElementById("board");
    if (board && panel()) reloadBoard(board);
  });

  // "u" anywhere on the page (not while typing): press the newest toast's Undo button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "u" || event.ctrlKey || event.metaKey || event.altKey) return;
    var el = document.activeElement;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    var buttons = document.querySelectorAll("#flash .flash-undo [data-undo]");
    if (!buttons.length) return;
    event.preventDefault();
    buttons[buttons.length - 1].click();
  });

  // Selects that filter or switch as soon as they change (the form still works without JS).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });
})();
