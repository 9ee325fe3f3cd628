"""Standards in a real browser: an admin adopts Definition of Ready, sees a card blocked with
its reasons, fixes it from the task page's one-click link, and moves it; and the screenshots
of docs/standards.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tasks.models import StateCategory, Task
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.work import SprintFactory, TaskFactory, state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def column(page: Page, name: str):
    return page.locator(".board-column", has=page.get_by_role("heading", name=name, exact=True))


def test_adopt_a_standard_see_the_card_blocked_fix_it_and_move_it(
    page: Page, world: World, console
):
    team = world.team
    sprint = SprintFactory(team=team, name="Sprint 7", status="active")
    task: Task = TaskFactory(
        team=team,
        sprint=sprint,
        title="Invoice PDF export",
        state=state_of(team, StateCategory.UNSTARTED),
    )
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")
    slug = world.workspace.slug

    # Adopt: add the template, then adopt it for the team.
    page.goto(f"/w/{slug}/standards/")
    page.get_by_role("button", name="Add Definition of Ready").click()
    expect(page.locator("#flash, .messages").first).to_contain_text("Added Definition of Ready")
    page.get_by_role("button", name=f"Adopt Definition of Ready for {team.name}").click()
    expect(page.locator(".standard").first).to_contain_text("Adopted")
    capture(page, "standards-list")

    # The card says what blocks it; a drag into In Progress is refused with the reasons.
    page.goto(f"/w/{slug}/teams/{team.pk}/board/")
    card = page.locator(f"#task-{task.key}")
    badge = card.locator("[data-standards='blocked']")
    expect(badge).to_contain_text("Blocked: Estimate present, Required fields")
    card.drag_to(column(page, "In Progress").locator("[data-drop-zone]"))
    expect(page.locator("#flash")).to_contain_text(
        "cannot enter In Progress: Definition of Ready fails: Estimate present, Required fields"
    )
    expect(column(page, "Todo").locator(f"#task-{task.key}")).to_be_visible()
    capture(page, "standards-blocked-card")
    task.refresh_from_db()
    assert task.state_category == StateCategory.UNSTARTED

    # Fix it: the task page lists each failing check with its one-click fix.
    badge.click()
    section = page.locator("#standards")
    expect(section).to_contain_text("The task has no estimate.")
    capture(page, "standards-task-page")
    section.get_by_role("link", name="Add an estimate").click()
    page.get_by_label("Points").fill("3")
    page.get_by_label("Assignee").select_option(label=world.member.user.display_name)
    page.get_by_label("Description").fill("Export the invoice as a PDF from the billing page.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#standards")).to_contain_text("Met")

    # Move it.
    task.refresh_from_db()
    page.goto(f"/w/{slug}/teams/{team.pk}/board/")
    expect(card.locator("[data-standards]")).to_have_count(0)
    card.drag_to(column(page, "In Progress").locator("[data-drop-zone]"))
    moved = column(page, "In Progress").locator(f"#task-{task.key}")
    expect(moved).to_have_attribute("data-version", str(task.version + 1))
    task.refresh_from_db()
    assert task.state_category == StateCategory.STARTED
    # The refused drag's 409 is logged by the browser as a failed load; nothing else may be.
    assert [e for e in console.errors if "409 (Conflict)" not in e] == []
