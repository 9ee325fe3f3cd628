"""Choosing a period on the leader dashboard in a real browser: the page swaps in place, the
address keeps the choice, and the back button returns to the current period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dashboards import rollups
from tests.browser.helpers import log_in
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_leader_picks_last_quarter_and_goes_back(page: Page, world: World, console):
    today = timezone.localdate()
    periods = {}
    for name, start, end, title in (
        ("This quarter", -45, 45, "Win this quarter"),
        ("Last quarter", -136, -46, "Win last quarter"),
    ):
        period = PeriodFactory(
            workspace=world.workspace,
            name=name,
            start=today + timedelta(days=start),
            end=today + timedelta(days=end),
        )
        objective = ObjectiveFactory(period=period, level="company", team=None, title=title)
        KeyResultFactory(objective=objective)
        periods[name] = period
    rollups.recompute_all(world.workspace)
    slug = world.workspace.slug
    log_in(page, email=world.viewer.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")
    page.goto(f"/w/{slug}/dashboards/")
    table = page.locator("#objective-table")
    expect(table.get_by_role("link", name="Win this quarter")).to_be_visible()

    page.get_by_label("Period").select_option(label="Last quarter · ended")

    expect(table.get_by_role("link", name="Win last quarter")).to_be_visible()
    expect(page.get_by_role("link", name="Win this quarter")).to_have_count(0)
    assert page.url.endswith(f"/w/{slug}/dashboards/?period={periods['Last quarter'].pk}")
    expect(
        page.get_by_role("link", name="Back to the current period (This quarter)")
    ).to_be_visible()

    page.go_back()
    expect(table.get_by_role("link", name="Win this quarter")).to_be_visible()
    assert page.url.endswith(f"/w/{slug}/dashboards/")
