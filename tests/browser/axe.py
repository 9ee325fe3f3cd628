"""Accessibility checks in the browser tests: the vendored axe-core, run on the page as it is.

    assert_accessible(page)  # fails listing every serious or critical violation

axe-core (static/vendor/axe.min.js, see THIRD_PARTY_NOTICES.md) is evaluated in the page by
Playwright, not loaded through a <script> tag, so the pages' Content-Security-Policy stays as
strict as in production and no page ships the checker.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page, *, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe-core's violations on the current page whose impact is one of `impacts`."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [v for v in result if v["impact"] in impacts]


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page (each one listed if there are)."""
    found = axe_violations(page)
    assert found == [], (
        "axe-core found on "
        + page.url
        + ":\n"
        + "\n".join(f"- {v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in found)
    )
