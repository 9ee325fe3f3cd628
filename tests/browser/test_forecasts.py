"""Forecasts in a real browser: the objective page says how likely it is to land, the trend
chart draws the band of the runs, and the picture of docs/forecasts.md."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from readmodel.forecasts import forecasts_for
from tests.browser.axe import assert_accessible
from tests.browser.helpers import log_in
from tests.browser.screenshots import DOCS_IMG, SCRATCH_IMG
from tests.browser.test_okr_trend import objective_with_history
from tests.conftest import World
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_objective_page_shows_its_forecast_and_the_band(page: Page, world: World, console):
    objective = objective_with_history(world)
    log_in(page, email=world.viewer.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")
    page.goto(objective.get_absolute_url())

    forecast = forecasts_for(world.workspace.pk, {"objective": [objective.pk]})[
        ("objective", objective.pk)
    ]
    sentence = page.locator(f'#objective-header [data-forecast="objective-{objective.pk}"]')
    expect(sentence).to_contain_text(f"{forecast.percent}% likely to reach the target")
    expect(sentence).to_contain_text(f"lands at {forecast.p50_percent}% (median)")

    chart = page.locator(f"#chart-objective-{objective.pk}-trend")
    band = chart.locator("polygon.area-forecast")
    expect(band).to_have_count(1)
    expect(band.locator("title")).to_have_text("Forecast, 15th to 85th percentile")
    expect(chart.locator("polyline.series-forecast")).to_have_count(1)
    description = chart.locator("desc")
    expect(description).to_contain_text(re.compile(r"Forecast from its own pace: \d+%"))
    # The band starts where the progress line ends (today) and reaches the period's end.
    box = band.bounding_box()
    assert box is not None
    assert box["width"] > 50

    assert_accessible(page)
    folder = DOCS_IMG if os.environ.get("DOCS_SCREENSHOTS") == "1" else SCRATCH_IMG
    folder.mkdir(parents=True, exist_ok=True)
    page.locator("#trend").screenshot(
        path=str(folder / "forecast-trend.png"), animations="disabled"
    )
    assert console.errors == []
