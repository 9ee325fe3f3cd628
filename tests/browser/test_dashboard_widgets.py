"""Arranging a dashboard in a real browser: enter arrange mode, remove a widget, move another
up with the keyboard alone, reload, and the layout is still there. And the docs picture of
the cumulative flow chart of the demo company."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alignment import demo
from dashboards import widgets as registry
from dashboards.demo import seed_dashboards
from okrs.demo import seed_okrs
from tasks.demo import seed_work
from tests.browser.helpers import log_in
from tests.browser.screenshots import DOCS_IMG, SCRATCH_IMG, capture
from tests.conftest import World
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def widget_titles(page: Page) -> list[str]:
    return page.locator("#dashboard-widgets section.widget > h2").all_inner_texts()


def test_a_person_arranges_the_team_dashboard_and_it_stays_arranged(
    page: Page, world: World, console
):
    slug = world.workspace.slug
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")
    page.goto(f"/w/{slug}/dashboards/teams/{world.team.pk}/")
    titles = [registry.REGISTRY["team"][k].title for k in registry.DEFAULTS["team"]]
    assert widget_titles(page) == titles

    page.get_by_role("link", name="Arrange").click()
    expect(page.get_by_role("button", name="Remove Burndown")).to_be_visible()
    page.get_by_role("button", name="Remove Burndown").click()
    expect(page.locator("#widget-burndown")).to_have_count(0)
    expect(page.locator("#arrange-announcer")).to_have_text("Burndown removed.")

    # Keyboard only: focus the button, press Enter twice; focus follows the moved widget.
    move_up = page.get_by_role("button", name="Move Cumulative flow up")
    move_up.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#arrange-announcer")).to_contain_text("Cumulative flow moved up: now 4")
    expect(page.get_by_role("button", name="Move Cumulative flow up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#arrange-announcer")).to_contain_text("Cumulative flow moved up: now 3")
    capture(page, "dashboards-arrange")

    page.reload()
    expected = [t for t in titles if t not in ("Burndown", "Cumulative flow")]
    expected.insert(2, "Cumulative flow")  # after Team objectives and Active sprint
    assert widget_titles(page) == expected
    page.get_by_role("link", name="Done arranging").click()
    expect(page.get_by_role("button", name="Remove Burnup")).to_have_count(0)
    # The arranging page is gone; read the widgets once the new one has loaded.
    page.wait_for_load_state("load")
    assert widget_titles(page) == expected
    assert console.errors == []


def test_docs_screenshot_of_the_cumulative_flow(page: Page, db):
    company = demo.seed_company()
    day = timezone.localdate()
    for seed in (seed_okrs, seed_work, seed_dashboards):
        seed(workspace=company.workspace, teams=company.teams, people=company.people, today=day)
    owner = company.people[demo.PEOPLE[0][0]]
    log_in(page, email=owner.email, password=demo.DEMO_PASSWORD)
    team = next(iter(company.teams.values()))
    page.goto(f"/w/{company.workspace.slug}/dashboards/teams/{team.pk}/")
    flow = page.locator("#widget-cumulative_flow")
    expect(flow.locator("polygon.band-done")).to_have_count(1)
    flow.locator("rect.hover-column").last.hover()
    folder = DOCS_IMG if os.environ.get("DOCS_SCREENSHOTS") == "1" else SCRATCH_IMG
    folder.mkdir(parents=True, exist_ok=True)
    flow.screenshot(path=str(folder / "dashboards-cumulative-flow.png"), animations="disabled")
