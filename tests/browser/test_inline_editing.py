"""Inline editing in a real browser, keyboard only: every field of a task on its page and in
the board's side panel, at desktop and phone widths; Escape cancels; two people editing the
same field see a conflict with both values and choose; axe-core finds nothing serious; and
the screenshots of docs/inline-editing.md."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from roadmaps.models import Roadmap, RoadmapItem
from tasks.models import Label, Priority, StateCategory, Task
from tests.browser.axe import assert_accessible
from tests.browser.helpers import VIEWPORT, log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.work import SprintFactory, TaskFactory, state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])


@pytest.fixture
def work(world: World) -> dict:
    team, workspace = world.team, world.workspace
    active = SprintFactory(team=team, name="Sprint 12", status="active")
    SprintFactory(team=team, name="Sprint 13", status="planned")
    Label.objects.create(workspace=workspace, name="bug")
    Label.objects.create(workspace=workspace, name="ux")
    roadmap = Roadmap.objects.create(workspace=workspace, name="Product 2026")
    RoadmapItem.objects.create(
        workspace=workspace, roadmap=roadmap, title="Self-serve billing", owner_team=team
    )
    task = TaskFactory(
        team=team,
        sprint=active,
        state=state_of(team, StateCategory.UNSTARTED),
        title="Invoice page",
        estimate=Decimal(2),
    )
    return {"task": task, "sprint": active}


def task_path(world: World, task: Task) -> str:
    return f"/w/{world.workspace.slug}/tasks/{task.key}/"


def open_field(page: Page, label: str) -> None:
    """Focus a field's Edit button and press Enter (what Tab then Enter would reach), once the
    last swap has settled (its focus move done)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    page.get_by_role("button", name=f"Edit {label}", exact=True).focus()
    page.keyboard.press("Enter")
    # The form is in and its field has the focus (typing before that would go elsewhere).
    expect(page.locator("form[data-inline-edit] :focus")).to_have_count(1)


def edit_every_field(page: Page, scope: str) -> None:
    """Edit every built-in field with the keyboard only; each save lands back on its Edit
    button, ready for the next field. `scope` is the CSS scope of the fields."""
    fields = page.locator(scope)

    open_field(page, "title")
    expect(page.get_by_label("Title", exact=True)).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("Invoice history page")
    page.keyboard.press("Enter")
    expect(fields.locator("#field-title .inline-value")).to_contain_text("Invoice history page")
    expect(page.get_by_role("button", name="Edit title", exact=True)).to_be_focused()

    # Escape cancels: nothing typed is kept.
    page.keyboard.press("Enter")
    expect(page.get_by_label("Title", exact=True)).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.type(" (draft)")
    page.keyboard.press("Escape")
    expect(fields.locator("#field-title .inline-value")).not_to_contain_text("(draft)")
    expect(page.get_by_role("button", name="Edit title", exact=True)).to_be_focused()

    open_field(page, "description")
    page.keyboard.type("Shows **every** invoice.")
    page.keyboard.press("Tab")  # Save
    page.keyboard.press("Tab")  # Preview
    page.keyboard.press("Enter")
    expect(page.locator("#field-description-preview strong")).to_have_text("every")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Description", exact=True)).to_be_focused()
    page.keyboard.press("Control+Enter")
    expect(fields.locator("#field-description .inline-value strong")).to_have_text("every")

    open_field(page, "state")
    expect(page.get_by_label("State", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")  # Todo → In Progress → In Review
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(fields.locator("#field-state .inline-value")).to_contain_text("In Review")

    open_field(page, "assignee")
    page.keyboard.press("ArrowDown")  # Nobody → acme admin → acme member
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(fields.locator("#field-assignee .inline-value")).to_contain_text("acme member")

    open_field(page, "points")
    page.keyboard.press("Control+a")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(fields.locator("#field-estimate .inline-value")).to_have_text("5")

    open_field(page, "priority")
    page.keyboard.type("High")
    page.keyboard.press("Enter")
    expect(fields.locator("#field-priority .inline-value")).to_contain_text("High")

    open_field(page, "labels")
    expect(page.get_by_role("checkbox", name="bug")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="ux")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(fields.locator("#field-labels .inline-value")).to_contain_text("bug")
    expect(fields.locator("#field-labels .inline-value")).to_contain_text("ux")

    open_field(page, "due")
    expect(page.get_by_label("Due", exact=True)).to_be_focused()
    page.keyboard.type("03152027")
    page.keyboard.press("Enter")
    expect(fields.locator("#field-due_date .inline-value")).to_contain_text("Mar 15, 2027")

    open_field(page, "sprint")
    page.keyboard.press("ArrowDown")  # Sprint 12 → Sprint 13
    page.keyboard.press("Enter")
    expect(fields.locator("#field-sprint .inline-value")).to_contain_text("Sprint 13")

    open_field(page, "roadmap item")
    page.keyboard.type("Product")
    page.keyboard.press("Enter")
    expect(fields.locator("#field-roadmap_item .inline-value")).to_contain_text(
        "Self-serve billing"
    )


def assert_every_field_saved(task: Task) -> None:
    task.refresh_from_db()
    assert task.title == "Invoice history page"
    assert task.description == "Shows **every** invoice."
    assert task.state.name == "In Review"
    assert task.assignee is not None
    assert task.assignee.full_name == "acme member"
    assert task.estimate == Decimal(5)
    assert task.priority == Priority.HIGH
    assert sorted(task.labels.values_list("name", flat=True)) == ["bug", "ux"]
    assert task.due_date == date(2027, 3, 15)
    assert task.sprint is not None
    assert task.sprint.name == "Sprint 13"
    assert task.roadmap_item is not None
    assert task.roadmap_item.title == "Self-serve billing"


@VIEWPORTS
def test_every_field_edits_in_place_on_the_task_page_by_keyboard(
    logged_in_page: Page, world: World, work: dict, console, viewport
):
    page = logged_in_page
    if viewport:
        page.set_viewport_size(viewport)
    task = work["task"]
    page.goto(task_path(world, task))

    edit_every_field(page, "main")

    assert_every_field_saved(task)
    assert_accessible(page)
    open_field(page, "description")  # the editor open, as the docs show it
    assert_accessible(page)
    if viewport is None:
        capture(page, "inline-editing-task-page")
    assert console.errors == []


@VIEWPORTS
def test_every_field_edits_in_place_in_the_board_side_panel_by_keyboard(
    logged_in_page: Page, world: World, work: dict, console, viewport
):
    page = logged_in_page
    if viewport:
        page.set_viewport_size(viewport)
    task = work["task"]
    page.goto(f"/w/{world.workspace.slug}/teams/{world.team.pk}/board/")
    card = page.locator(f"#task-{task.key}")
    card.focus()
    page.keyboard.press("e")
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel).to_be_visible()
    expect(page.locator("#task-panel-heading")).to_be_focused()
    assert_accessible(page)

    edit_every_field(page, "#task-panel")

    assert_every_field_saved(task)
    # The board followed: the card left the active sprint's board (moved to Sprint 13).
    expect(page.locator(f"#board #task-{task.key}")).to_have_count(0)
    assert_accessible(page)
    if viewport is None:
        capture(page, "inline-editing-board-panel")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert console.errors == []


@VIEWPORTS
def test_the_panel_closes_with_escape_and_gives_focus_back_to_the_card(
    logged_in_page: Page, world: World, work: dict, viewport
):
    page = logged_in_page
    if viewport:
        page.set_viewport_size(viewport)
    task = work["task"]
    page.goto(f"/w/{world.workspace.slug}/teams/{world.team.pk}/board/")
    page.locator(f"#task-{task.key}").focus()
    page.keyboard.press("e")
    expect(page.get_by_role("complementary", name="Task details")).to_be_visible()
    open_field(page, "points")
    page.keyboard.press("Control+a")
    page.keyboard.type("8")
    page.keyboard.press("Enter")
    expect(page.locator(f"#board #task-{task.key} .points")).to_have_text("8")

    page.keyboard.press("Escape")

    expect(page.get_by_role("complementary", name="Task details")).to_be_hidden()
    expect(page.locator(f"#task-{task.key}")).to_be_focused()


def test_enter_before_htmx_settles_still_saves_in_place(
    logged_in_page: Page, world: World, work: dict
):
    """The browser autofocuses a swapped-in field before htmx wires its form (htmx does that
    when it settles): an Enter in that gap once submitted natively and left the board."""
    page = logged_in_page
    task = work["task"]
    page.goto(f"/w/{world.workspace.slug}/teams/{world.team.pk}/board/")
    page.locator(f"#task-{task.key}").focus()
    page.keyboard.press("e")
    expect(page.get_by_role("complementary", name="Task details")).to_be_visible()
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    page.evaluate("() => { htmx.config.defaultSettleDelay = 3000; }")  # widen the gap
    page.get_by_role("button", name="Edit points", exact=True).focus()
    page.keyboard.press("Enter")
    field = page.locator("#task-panel form[data-inline-edit] input[name=estimate]")
    expect(field).to_be_focused()
    assert page.locator("#task-panel .htmx-settling").count() == 1  # still in the gap
    page.keyboard.press("Control+a")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(page.locator(f"#board #task-{task.key} .points")).to_have_text("5", timeout=10_000)
    assert page.url.endswith(f"/teams/{world.team.pk}/board/")


def second_person(browser: Browser, live_server, world: World) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")
    return page


def test_two_people_editing_the_same_field_see_a_conflict_and_choose(
    logged_in_page: Page, browser: Browser, live_server, world: World, work: dict, console
):
    mine, task = logged_in_page, work["task"]
    theirs = second_person(browser, live_server, world)
    mine.goto(task_path(world, task))
    theirs.goto(task_path(world, task))

    open_field(mine, "title")  # I start editing...
    open_field(theirs, "title")  # ...and so do they, and they save first.
    theirs.keyboard.press("Control+a")
    theirs.keyboard.type("Their title")
    theirs.keyboard.press("Enter")
    expect(theirs.locator("#field-title .inline-value")).to_contain_text("Their title")
    mine.keyboard.press("Control+a")
    mine.keyboard.type("My title")
    mine.keyboard.press("Enter")

    alert = mine.get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed title")
    expect(mine.locator('[data-conflict="theirs"]')).to_have_text("Their title")
    expect(mine.locator('[data-conflict="yours"]')).to_have_text("My title")
    task.refresh_from_db()
    assert task.title == "Their title"  # nothing was overwritten
    expect(mine.get_by_role("button", name="Use mine")).to_be_focused()
    assert_accessible(mine)
    capture(mine, "inline-editing-conflict")

    mine.keyboard.press("Enter")  # Use mine

    expect(mine.locator("#field-title .inline-value")).to_contain_text("My title")
    task.refresh_from_db()
    assert task.title == "My title"

    # Round two: they change it again; this time I keep theirs.
    open_field(mine, "title")
    theirs.reload()
    open_field(theirs, "title")
    theirs.keyboard.press("Control+a")
    theirs.keyboard.type("Their final title")
    theirs.keyboard.press("Enter")
    expect(theirs.locator("#field-title .inline-value")).to_contain_text("Their final title")
    mine.keyboard.press("Control+a")
    mine.keyboard.type("Mine again")
    mine.keyboard.press("Enter")
    expect(mine.get_by_role("button", name="Keep theirs")).to_be_visible()
    # Focus lands on "Use mine" once the conflict settles; Tab from there, not before.
    expect(mine.get_by_role("button", name="Use mine")).to_be_focused()
    mine.keyboard.press("Tab")
    mine.keyboard.press("Enter")  # Keep theirs

    expect(mine.locator("#field-title .inline-value")).to_contain_text("Their final title")
    task.refresh_from_db()
    assert task.title == "Their final title"
    theirs.context.close()
    # The browser logs each 409 answer as a failed load; nothing else may be in the console.
    assert [e for e in console.errors if "409 (Conflict)" not in e] == []


def test_a_viewer_gets_read_only_fields(page: Page, world: World, work: dict):
    log_in(page, email=world.viewer.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")
    page.goto(task_path(world, work["task"]))

    expect(page.locator("#field-title .inline-value")).to_contain_text("Invoice page")
    expect(page.get_by_role("button", name="Edit title")).to_have_count(0)
    expect(page.locator("form[data-inline-edit]")).to_have_count(0)
