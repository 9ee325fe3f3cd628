"""Keyboard-first work in a real browser, at desktop and phone widths, axe-core clean:
change a focused card's state, assignee, priority, labels and points by keyboard, move it and
undo the move; save a view and open it as a board, a list and a table; archive a task and
undo. Also the screenshots of docs/work.md's saved views, shortcuts and undo sections."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tasks.models import Sprint, SprintStatus, StateCategory, Task, TaskLabel
from tasks.saved_views.models import SavedView
from tests.browser.axe import assert_accessible
from tests.browser.screenshots import capture
from tests.browser.test_sprints import WIDTHS, focused_name, tab_to, tab_to_field
from tests.conftest import World
from tests.factories.work import LabelFactory, SprintFactory, TaskFactory, state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def sprint(world: World) -> Sprint:
    return SprintFactory(team=world.team, name="Sprint 7", status=SprintStatus.ACTIVE)


def board_url(world: World) -> str:
    return f"/w/{world.workspace.slug}/teams/{world.team.pk}/board/"


def focus_card(page: Page, task: Task) -> None:
    tab_to(page, f"{task.key}: {task.title}", limit=120)


def dialog_save(page: Page) -> None:
    """Tab to the dialog's Save button and press it (Enter), as a keyboard user would."""
    for _ in range(30):
        if focused_name(page) == "Save":
            page.keyboard.press("Enter")
            return
        page.keyboard.press("Tab")
    raise AssertionError("Tab never reached Save")


def wait_saved(page: Page, task: Task) -> None:
    expect(page.locator(f"#task-{task.key}")).to_be_focused()


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_card_is_changed_moved_and_the_move_undone_by_keyboard(
    logged_in_page: Page, world: World, sprint: Sprint, viewport: dict, console
):
    page = logged_in_page
    page.set_viewport_size(viewport)
    todo = state_of(world.team, StateCategory.UNSTARTED)
    LabelFactory(workspace=world.workspace, name="bug")
    task = TaskFactory(team=world.team, sprint=sprint, state=todo, title="Keyboard card")
    page.goto(board_url(world))
    focus_card(page, task)

    # p: priority
    page.keyboard.press("p")
    dialog = page.locator("#field-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Priority", exact=True)).to_be_focused()
    dialog.get_by_label("Priority", exact=True).select_option(
        label="High"
    )  # keyboard-equivalent on a focused select
    assert_accessible(page)
    if viewport["width"] > 800:
        capture(page, "card-shortcut-priority")
    dialog_save(page)
    wait_saved(page, task)
    # e: points
    page.keyboard.press("Shift+E")  # "e" opens the side panel (inline editing)
    expect(dialog.get_by_label("Points", exact=True)).to_be_focused()
    page.keyboard.type("5")
    page.keyboard.press("Enter")  # Enter in a text field submits
    wait_saved(page, task)
    # a: assignee
    page.keyboard.press("a")
    expect(dialog.get_by_label("Assignee", exact=True)).to_be_focused()
    dialog.get_by_label("Assignee", exact=True).select_option(label=world.member.user.display_name)
    dialog_save(page)
    wait_saved(page, task)
    # l: labels (Space ticks the focused box)
    page.keyboard.press("l")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("bug")).to_be_focused()
    page.keyboard.press("Space")
    dialog_save(page)
    wait_saved(page, task)
    # s: state (the card moves to its new column, the focus follows it)
    page.keyboard.press("s")
    expect(dialog.get_by_label("State", exact=True)).to_be_focused()
    dialog.get_by_label("State", exact=True).select_option(label="In Progress")
    page.keyboard.press("Enter")  # Enter on the select saves (board.js)
    wait_saved(page, task)
    expect(page.locator('[data-state-name="In Progress"]')).to_contain_text(task.key)

    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.priority, fresh.estimate, fresh.assignee_id) == (
        2,
        Decimal("5"),
        world.member.user_id,
    )
    assert TaskLabel.objects.filter(task=fresh, label__name="bug").exists()
    assert fresh.state.name == "In Progress"

    # Move right with Alt+→, then undo with "u": the card goes back.
    page.keyboard.press("Alt+ArrowRight")
    toast = page.locator("#flash .flash-undo")
    expect(toast).to_contain_text(f"{task.key} moved to In Review.")
    if viewport["width"] > 800:
        capture(page, "undo-toast")
    else:
        # The toast sits above the board in the page flow: it covers no button.
        box = toast.bounding_box()
        board = page.locator(".board").bounding_box()
        assert box
        assert board
        assert box["y"] + box["height"] <= board["y"]
    assert_accessible(page)
    page.keyboard.press("u")
    expect(page.locator("#flash")).to_contain_text(f"Undone: {task.key}.")
    expect(page.locator('[data-state-name="In Progress"]')).to_contain_text(task.key)
    assert Task.objects.get(pk=task.pk).state.name == "In Progress"
    assert console.errors == []


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_view_is_saved_and_opened_as_board_list_and_table_by_keyboard(
    logged_in_page: Page, world: World, sprint: Sprint, viewport: dict, console
):
    page = logged_in_page
    page.set_viewport_size(viewport)
    TaskFactory(team=world.team, title="Mine to fix", assignee=world.member.user, priority=1)
    TaskFactory(team=world.team, title="Someone else's", priority=1)
    page.goto(f"/w/{world.workspace.slug}/views/")
    expect(page.get_by_role("heading", name="No saved views yet")).to_be_visible()
    assert_accessible(page)
    tab_to_field(page, "Name")
    page.keyboard.type("My urgent work")
    tab_to_field(page, "Filter")
    page.keyboard.type("assignee:me priority:urgent")
    tab_to_field(page, "Layout")
    page.get_by_label("Layout", exact=True).select_option("table")
    page.get_by_label("Filter", exact=True).press("Enter")
    expect(page.get_by_role("heading", name="My urgent work")).to_be_visible()
    view = SavedView.objects.get()
    expect(page.locator("#view-table")).to_contain_text("Mine to fix")
    expect(page.locator("#view-table")).not_to_contain_text("Someone else's")
    assert_accessible(page)
    if viewport["width"] > 800:
        capture(page, "saved-view-table", full_page=True)
    # Sort by title from the keyboard: the header link.
    tab_to(page, "TITLE", limit=80)  # table headers are set in capitals
    page.keyboard.press("Enter")
    expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("Title", ignore_case=True)
    for layout, marker in (("Board", ".board-columns"), ("List", ".backlog-list")):
        tab_to(page, layout, limit=80)
        page.keyboard.press("Enter")
        expect(page.locator(marker)).to_contain_text("Mine to fix")
        assert_accessible(page)
        if viewport["width"] > 800 and layout == "Board":
            capture(page, "saved-view-board", full_page=True)
    # The view is in the command palette.
    page.keyboard.press("Control+k")
    page.keyboard.type("urgent")
    expect(page.locator("#palette-list")).to_contain_text("My urgent work")
    page.keyboard.press("Escape")
    assert view.layout == "table"
    assert console.errors == []


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_task_is_archived_and_the_archive_undone_by_keyboard(
    logged_in_page: Page, world: World, sprint: Sprint, viewport: dict, console
):
    page = logged_in_page
    page.set_viewport_size(viewport)
    task = TaskFactory(team=world.team, sprint=sprint, title="Archive me")
    # Another card stays: an empty board's columns have nothing to focus (see the report).
    TaskFactory(team=world.team, sprint=sprint, title="Stays")
    page.goto(f"/w/{world.workspace.slug}/tasks/{task.key}/")
    tab_to(page, "Archive", limit=120)
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_contain_text(f"{task.key} archived.")
    expect(page.locator(".board")).not_to_contain_text("Archive me")
    assert_accessible(page)
    tab_to(page, "Undo", limit=60)
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_contain_text(f"Undone: {task.key}.")
    expect(page.locator(".board")).to_contain_text("Archive me")
    assert Task.objects.filter(pk=task.pk).exists()
    # The archived page of the team, after a second archive.
    page.goto(f"/w/{world.workspace.slug}/tasks/{task.key}/")
    tab_to(page, "Archive", limit=120)
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_contain_text(f"{task.key} archived.")  # the POST is done
    page.goto(f"/w/{world.workspace.slug}/teams/{world.team.pk}/archived/")
    expect(page.locator("#archived")).to_contain_text("Archive me")
    assert_accessible(page)
    tab_to(page, f"Restore {task.key}", limit=80)
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_contain_text(f"{task.key} restored.")
    assert console.errors == []
