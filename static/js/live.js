// Live pages: one websocket per page (docs/realtime.md). Written here, no vendored library.
// The page lists what it follows with data-live-topic="board:12 …"; the server pushes what
// changed (ids and keys, never content) and page scripts (live_pages.js) fetch what they show
// through the page's own URLs. When the socket drops, it reconnects with exponential backoff
// (1 s doubling to 30 s, jittered); after a reconnect the pages reload what they show, since
// messages sent meanwhile are gone. Without a socket every page still works by reload.
(function () {
  "use strict";

  var path = document.body.getAttribute("data-live-url");
  if (!path || !window.WebSocket) return;

  var MAX_DELAY = 30000;
  var socket = null;
  var attempt = 0;
  var timer = null;
  var opened = false;
  var stopped = false;
  var handlers = {};
  var following = [];
  // Close codes after which retrying cannot help: logged out, not allowed, no such thing.
  var FINAL = { 4401: "Live updates stopped: log in again.", 4403: "Live updates are off for this page.", 4404: "Live updates are off for this page." };

  function topics() {
    var found = [];
    document.querySelectorAll("[data-live-topic]").forEach(function (node) {
      node.getAttribute("data-live-topic").split(/\s+/).forEach(function (topic) {
        if (topic && found.indexOf(topic) < 0) found.push(topic);
      });
    });
    if (document.getElementById("notification-badge")) found.push("notifications");
    return found;
  }

  function status(state, text) {
    document.querySelectorAll("[data-live-status]").forEach(function (node) {
      node.setAttribute("data-state", state);
      node.textContent = text;
    });
  }

  function emit(message) {
    (handlers[message.type] || []).forEach(function (handler) {
      try { handler(message); } catch (error) { if (window.console) console.warn("live:", error); }
    });
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function schedule() {
    if (stopped || timer) return;
    var delay = Math.min(MAX_DELAY, 1000 * Math.pow(2, attempt));
    delay = delay / 2 + Math.random() * delay / 2;
    attempt += 1;
    timer = window.setTimeout(function () { timer = null; connect(); }, delay);
  }

  function connect() {
    if (stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + path);
    } catch (error) {
      schedule();
      return;
    }
    socket.onopen = function () {
      var again = opened;
      opened = true;
      attempt = 0;
      status("live", "Live");
      topics().forEach(function (topic) { send({ op: "subscribe", topic: topic }); });
      if (again) emit({ type: "reconnected" });
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message && typeof message.type === "string") emit(message);
    };
    socket.onclose = function (event) {
      socket = null;
      following = [];
      if (FINAL[event.code]) {
        stopped = true;
        status("off", FINAL[event.code]);
        return;
      }
      status("offline", "Reconnecting… (reload to see the latest)");
      schedule();
    };
  }

  // A tab coming back (a laptop waking up) retries at once rather than after the backoff.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !socket && !stopped) {
      if (timer) { window.clearTimeout(timer); timer = null; }
      connect();
    }
  });

  window.AlignmentLive = {
    on: function (type, handler) { (handlers[type] = handlers[type] || []).push(handler); },
    send: send,
    // Whether the server granted a topic (tests and page scripts wait on it).
    follows: function (topic) { return following.indexOf(topic) >= 0; },
    isOpen: function () { return !!socket && socket.readyState === WebSocket.OPEN; }
  };

  // ---- the parts every page shares: the granted topics, the bell and presence ----
  window.AlignmentLive.on("subscribed", function (message) {
    if (following.indexOf(message.topic) < 0) following.push(message.topic);
  });

  window.AlignmentLive.on("notifications", function (message) {
    var bell = document.getElementById("notification-badge");
    if (!bell) return;
    var unread = parseInt(message.unread, 10) || 0;
    var badge = bell.querySelector("[data-unread]");
    bell.setAttribute("aria-label", "Notifications" + (unread ? ", " + unread + " unread" : ""));
    if (!unread) { if (badge) badge.remove(); return; }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge bad";
      bell.appendChild(badge);
    }
    badge.setAttribute("data-unread", String(unread));
    badge.textContent = unread > 99 ? "99+" : String(unread);
  });

  window.AlignmentLive.on("presence", function (message) {
    document.querySelectorAll("[data-live-presence]").forEach(function (node) {
      if (node.getAttribute("data-live-presence") !== message.topic) return;
      var names = (message.viewers || []).map(function (viewer) { return viewer.name; });
      node.hidden = !names.length;
      node.textContent = names.length ? "Also here: " + names.join(", ") : "";
    });
  });

  // Scripts loaded before this one queue their handlers here.
  (window.AlignmentLiveQueue || []).forEach(function (register) { register(window.AlignmentLive); });
  connect();
})();
