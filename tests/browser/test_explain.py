"""A key result fed by linked work, in a real browser: the objective page loads what its
number is made of (items, tasks, the arithmetic) into its panels, and the key result offers
"Update confidence" instead of "Check in"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleLog
from tests.conftest import World
from tests.dashboards.test_explain import Work, work  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_objective_page_explains_a_task_fed_key_result_and_takes_only_confidence(
    logged_in_page: Page,
    world: World,
    work: Work,  # noqa: F811
    console: ConsoleLog,
) -> None:
    page = logged_in_page
    page.goto(work.objective.get_absolute_url())
    made_of = page.locator("#made-of")
    expect(made_of).to_contain_text("Σ share × progress")  # loaded by htmx on load
    expect(made_of.get_by_role("link", name="Planner shipped")).to_be_visible()

    row = page.locator(f"#kr-{work.tasks_kr.pk}")
    expect(row.get_by_role("link", name="Check in")).to_have_count(0)
    history = page.locator(f"#kr-{work.tasks_kr.pk}-made-of")
    history.scroll_into_view_if_needed()
    expect(history).to_contain_text("= 6.0 / 16.0 = 38%")  # loaded when revealed
    history.get_by_text("Tasks of Planner API (4)").click()
    expect(history.get_by_role("link", name=f"ENG-{work.tasks['api-done'].number}")).to_be_visible()

    row.get_by_role("link", name="Update confidence").click()
    dialog = page.get_by_role("dialog", name="Update confidence: Planner shipped")
    expect(dialog.get_by_label("New value")).to_have_count(0)
    dialog.get_by_label("Confidence (0–10)").fill("3")
    dialog.get_by_label("Note").fill("API review slipped")
    dialog.get_by_role("button", name="Save confidence").click()
    expect(row).to_contain_text("confidence 3/10")
    work.tasks_kr.refresh_from_db()
    assert (work.tasks_kr.confidence, work.tasks_kr.current) == (3, 0)
    assert console.errors == []
