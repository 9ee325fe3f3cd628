"""An objective's trend chart in a real browser: with daily snapshots kept, the chart draws a
point per day against the expected pace, a hovered point lights up and carries its value in
its <title>, the keyboard reaches the points, and "Table view" opens the same numbers as a
table. And the picture of docs/okrs.md."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dashboards.models import Snapshot
from okrs import services
from okrs.models import Objective
from tests.browser.helpers import log_in
from tests.browser.screenshots import DOCS_IMG, SCRATCH_IMG
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.okrs import PeriodFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DAYS = 30
# Progress at the end of each of the last 30 days (percent): a slow start, a jump when the
# guided tour shipped, then steady.
CURVE = [4, 4, 5, 6, 6, 7, 8, 8, 9, 10, 10, 12, 13, 13, 14, 22, 24, 25, 27, 28, 29, 31, 32, 33]
CURVE += [35, 36, 38, 39, 40, 42]


def objective_with_history(world: World) -> Objective:
    today = timezone.localdate()
    period = PeriodFactory(
        workspace=world.workspace,
        name="This quarter",
        start=today - timedelta(days=45),
        end=today + timedelta(days=45),
    )
    objective = services.objective_create(
        actor=world.member,
        period=period,
        title="Make onboarding effortless for new teams",
        team=world.team,
        owner=world.member.user,
    )
    for title, unit, baseline, target, value in (
        ("Activation from 40% to 60%", "%", 40, 60, "50"),
        ("Setup support tickets from 80 to 20 a month", "tickets", 80, 20, "59"),
    ):
        kr = services.key_result_create(
            actor=world.member,
            objective=objective,
            title=title,
            kind="percentage" if unit == "%" else "number",
            unit=unit,
            baseline=baseline,
            target=target,
            owner=world.member.user,
        )
        services.key_result_check_in(
            actor=world.member, key_result=kr, value=Decimal(value), confidence=7
        )
    # The rows the nightly snapshot job writes: one per day, up to yesterday.
    Snapshot.objects.bulk_create(
        Snapshot(
            workspace=world.workspace,
            kind="objective",
            node_id=objective.pk,
            day=today - timedelta(days=DAYS - index),
            progress=Decimal(percent) / 100,
        )
        for index, percent in enumerate(CURVE)
    )
    return objective


def test_the_trend_chart_draws_the_snapshots_with_values_on_hover_and_a_table_view(
    page: Page, world: World, console
):
    objective = objective_with_history(world)
    log_in(page, email=world.viewer.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")
    page.goto(objective.get_absolute_url())

    trend = page.locator("#trend")
    chart = trend.locator(f"#chart-objective-{objective.pk}-trend")
    expect(chart.locator("svg.chart")).to_be_visible()
    points = chart.locator("circle.series-point")
    expect(points).to_have_count(DAYS)
    expect(chart.locator("polyline.series-ideal")).to_have_count(1)

    yesterday = timezone.localdate() - timedelta(days=1)
    last = points.last
    expect(last.locator("title")).to_have_text(f"{yesterday:%d %b}: Progress 42%")
    idle_fill = last.evaluate("el => getComputedStyle(el).fill")
    last.hover()
    # Chromium applies :hover on the next frame after the mouse moves: wait for it.
    expect(last).not_to_have_css("fill", idle_fill)
    # The points are in the tab order, so a keyboard user reads the same values.
    points.nth(DAYS - 2).focus()
    expect(points.nth(DAYS - 2)).to_be_focused()
    expect(points.nth(DAYS - 2).locator("title")).to_have_text(
        f"{yesterday - timedelta(days=1):%d %b}: Progress 40%"
    )
    page.evaluate("document.activeElement.blur()")
    last.hover()
    folder = DOCS_IMG if os.environ.get("DOCS_SCREENSHOTS") == "1" else SCRATCH_IMG
    folder.mkdir(parents=True, exist_ok=True)
    trend.screenshot(path=str(folder / "okrs-trend.png"), animations="disabled")

    table = chart.locator("details.chart-table table")
    expect(table).to_be_hidden()
    chart.get_by_text("Table view").click()
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(DAYS)
    expect(rows.last.locator("td").nth(0)).to_have_text(yesterday.isoformat())
    expect(rows.last.locator("td").nth(1)).to_have_text("42")
    expect(rows.first.locator("td").nth(1)).to_have_text("4")
    assert console.errors == []
