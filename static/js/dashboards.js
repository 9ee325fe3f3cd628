// Dashboards, arrange mode: keep keyboard focus and tell screen readers what moved.
// No inline script (CSP). Every arrange button is a real form that htmx posts; the server
// answers the re-rendered widget region with data-focus (the id of the control to focus
// next, e.g. the moved widget's "Up" button) and data-announce (a sentence to read out).
(function () {
  "use strict";

  function announcer() {
    var region = document.getElementById("arrange-announcer");
    if (!region) {
      region = document.createElement("p");
      region.id = "arrange-announcer";
      region.className = "visually-hidden";
      region.setAttribute("aria-live", "polite");
      document.body.appendChild(region);
    }
    return region;
  }

  // The control named by data-focus, or a usable neighbour when it is disabled (a widget
  // moved to the top has no "Up" any more): its other move button, then its section.
  function focusTarget(region) {
    var id = region.getAttribute("data-focus");
    if (!id) return null;
    var target = document.getElementById(id);
    if (!target) return region.querySelector("#add-widget, #arrange-done");
    if (!target.disabled) return target;
    var group = target.closest(".widget-controls");
    var other = group && group.querySelector("button:not([disabled])");
    return other || target.closest("section") || null;
  }

  function settle(region) {
    var target = focusTarget(region);
    if (target) {
      if (target.tagName === "SECTION") target.setAttribute("tabindex", "-1");
      target.focus();
    }
    var text = region.getAttribute("data-announce");
    if (text) announcer().textContent = text;
  }

  // Whatever element the event names (the posting form may already be gone), settle the
  // fresh region once: the attributes are dropped after use.
  document.addEventListener("htmx:afterSettle", function () {
    var region = document.getElementById("dashboard-widgets");
    if (!region || !region.hasAttribute("data-focus")) return;
    settle(region);
    region.removeAttribute("data-focus");
    region.removeAttribute("data-announce");
  });
})();
