"""The weekly digest's preview in a real browser: an admin of the demo company opens it, the
sandboxed iframe renders the e-mail (inline styles allowed by the frame's own policy, no
scripts) with its sections, and nothing lands in the console: no CSP violation on the page or
in the frame. And the picture of docs/integrations.md."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alignment import demo
from dashboards.demo import seed_dashboards
from integrations import digest
from okrs.demo import seed_okrs
from tasks.demo import seed_work
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def seed_demo() -> demo.DemoCompany:
    company = demo.seed_company()
    today = timezone.localdate()
    for seed in (seed_okrs, seed_work, seed_dashboards):
        seed(workspace=company.workspace, teams=company.teams, people=company.people, today=today)
    return company


def test_an_admin_previews_the_digest_as_leaders_will_get_it(page: Page, db, console):
    company = seed_demo()
    slug = company.workspace.slug
    admin = company.people["admin"]
    log_in(page, email=admin.email, password=demo.DEMO_PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")

    page.goto(f"/w/{slug}/integrations/digest/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly leader digest")
    expect(page.locator("#digest-empty")).to_have_count(0)
    recipients = page.locator("#digest-recipients")
    expect(recipients).to_contain_text("Dana Whitfield")
    expect(recipients).to_contain_text("Sam Okafor")
    expect(page.locator("#digest-subject")).to_contain_text("Acme Robotics")

    frame_element = page.locator("#digest-frame")
    # Sandboxed without allow-scripts (and without allow-same-origin): the e-mail runs nothing.
    sandbox = frame_element.get_attribute("sandbox") or ""
    assert "allow-scripts" not in sandbox
    assert "allow-same-origin" not in sandbox
    email = page.frame_locator("#digest-frame")
    expect(email.get_by_role("heading", level=1)).to_have_text("Acme Robotics")
    expect(email.get_by_text("Open the leader dashboard")).to_be_visible()
    # Every section the digest has this week is drawn, and only those. Which ones the demo has
    # depends on the day of its quarter (nothing has "moved" in a quarter's first week), but
    # its teams always have numbers and its findings always drift.
    built = digest.build_digest(company.workspace)
    assert built.teams
    assert built.drifting
    sections = {
        "Moved this week": built.moved,
        "At risk, and why": built.at_risk,
        "Drifting": built.drifting,
        "Teams": built.teams,
    }
    for heading, rows in sections.items():
        expect(email.get_by_role("heading", name=heading, exact=True)).to_have_count(
            1 if rows else 0
        )
    # A team's name links to its dashboard wherever the digest names it (its row under Teams,
    # and a drifting sentence about it).
    expect(email.get_by_role("link", name=built.teams[0].name, exact=True).first).to_be_visible()
    # The frame's inline styles apply (its own policy allows them): the card is 600 px wide.
    card_width = email.locator("table[width='600']").first.evaluate(
        "el => el.getBoundingClientRect().width"
    )
    assert card_width == 600
    # Its links are absolute (an e-mail has no page to be relative to) and, in the preview,
    # open at the top level (<base target="_top">), never inside the sandbox.
    dashboard_link = email.get_by_role("link", name="Open the leader dashboard")
    expect(dashboard_link).to_have_attribute("href", re.compile(rf"^https?://[^/]+/w/{slug}/"))
    expect(email.locator("base")).to_have_attribute("target", "_top")

    # The whole page: the frame is painted by its own (sandboxed) renderer, so make the window
    # as tall as the page first, or a full-page capture catches it half painted.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    expect(email.get_by_role("heading", name="Teams", exact=True)).to_be_visible()
    capture(page, "digest-preview", full_page=True)
    assert console.errors == []
