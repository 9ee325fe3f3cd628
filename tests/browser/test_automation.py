"""Automation in a real browser: an admin builds a rule with the form's pickers (rows added,
redrawn and removed, by keyboard too), dry-runs it over past
events (nothing changes), enables it, and sees it act on the next event; and the
screenshots of docs/automation.md."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from automation.models import Rule
from tasks import services as task_services
from tasks.models import TaskComment
from tests.browser.axe import assert_accessible
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _redraw(page: Page, change: Callable[[], object]) -> None:
    """Make a change that redraws a builder row, and wait until htmx has settled the new row
    (its controls are bound then: the next change is heard)."""
    with page.expect_response(lambda r: "row=" in r.url):
        change()
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)


def test_build_dry_run_enable_and_see_a_rule_act(page: Page, world: World, console):
    slug = world.workspace.slug
    past = task_services.task_create(actor=world.member, team=world.team, title="Login bug")
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")

    page.goto(f"/w/{slug}/settings/automation/")
    form = page.locator("#new-rule")
    form.get_by_label("Name").fill("Triage bugs")
    form.get_by_label("Trigger").select_option(label="Task created")
    # A condition row, by keyboard: add it, pick its kind, field, comparison and value.
    form.get_by_role("button", name="Add a condition").focus()
    page.keyboard.press("Enter")
    kind = form.locator("#id_cond-1-kind")
    expect(kind).to_be_focused()  # the new row takes the focus
    _redraw(page, lambda: kind.select_option(label="Task field"))
    field = form.locator("#id_cond-1-field")
    expect(field).to_be_visible()  # the row was redrawn for its kind
    _redraw(page, lambda: field.select_option(label="Title"))
    expect(form.locator("#id_cond-1-value")).to_have_attribute("type", "text")
    form.locator("#id_cond-1-op").select_option(label="contains")
    form.locator("#id_cond-1-value").fill("bug")
    # A second condition, added then removed: the focus moves on, the rule does not keep it.
    form.get_by_role("button", name="Add a condition").click()
    expect(form.locator("#id_cond-2-kind")).to_be_focused()
    _redraw(page, lambda: form.locator("#id_cond-2-kind").select_option(label="Team"))
    expect(form.locator("#id_cond-2-value")).to_contain_text(world.team.name)
    form.get_by_role("button", name="Remove condition 2").click()
    expect(form.locator("#cond-2-row")).to_have_count(0)
    # The action row the form starts with: a comment.
    _redraw(page, lambda: form.locator("#id_act-0-kind").select_option(label="Add a comment"))
    form.locator("#id_act-0-text").fill("Triaged {task} automatically")
    assert_accessible(page)
    capture(page, "automation-new-rule", full_page=True)
    form.get_by_role("button", name="Create rule").click()
    expect(page.locator("#rule-state")).to_have_text("Disabled")
    rule = Rule.objects.get(name="Triage bugs")
    assert rule.conditions == [
        {"kind": "field", "field": "title", "op": "contains", "value": "bug"}
    ]

    # The dry run lists what would have happened to past work, and changes nothing.
    page.get_by_role("button", name="Dry run").click()
    result = page.locator("#dry-run-result")
    expect(result).to_contain_text(f"{past.key}: comment “Triaged {past.key} automatically”")
    assert not TaskComment.objects.exists()
    capture(page, "automation-dry-run", full_page=True)

    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#rule-state")).to_have_text("Enabled")
    rule.refresh_from_db()
    assert rule.enabled

    # The next matching task gets its comment, and the run shows in the rule's history.
    task = task_services.task_create(actor=world.member, team=world.team, title="Crash bug")
    page.goto(f"/w/{slug}/tasks/{task.key}/")
    expect(page.get_by_text(f"Triaged {task.key} automatically")).to_be_visible()
    page.goto(f"/w/{slug}/settings/automation/{rule.pk}/")
    expect(page.locator("#rule-runs")).to_contain_text("Applied")
    assert_accessible(page)
    assert console.errors == []
    capture(page, "automation-history", full_page=True)
