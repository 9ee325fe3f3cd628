"""Shaping work in a real browser, keyboard only: add a sub-task, pick a blocker with the
task picker (↓ and Enter), see a cycle refused with its path, at desktop and phone widths;
and the screenshots of docs/work.md ("Shaping work")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tasks.models import StateCategory, Task, TaskDependency
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.work import TaskDependencyFactory, TaskFactory, state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def checkout(world: World) -> dict[str, Task]:
    team = world.team
    parent = TaskFactory(team=team, title="Self-serve checkout", estimate=Decimal(8))
    TaskFactory(
        team=team,
        parent=parent,
        title="Price table component",
        state=state_of(team, StateCategory.DONE),
        estimate=Decimal(3),
    )
    blocker = TaskFactory(team=team, title="Payment provider contract")
    TaskFactory(team=team, title="Payment receipts by email")
    return {"parent": parent, "blocker": blocker}


def task_url(world: World, task: Task) -> str:
    return f"/w/{world.workspace.slug}/tasks/{task.key}/"


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_subtask_and_a_blocker_are_added_with_the_keyboard_only(
    logged_in_page: Page, world: World, checkout: dict[str, Task], console, viewport
):
    page = logged_in_page
    if viewport:
        page.set_viewport_size(viewport)
    parent, blocker = checkout["parent"], checkout["blocker"]
    page.goto(task_url(world, parent))
    expect(page.locator("#subtask-progress")).to_contain_text("1 of 1 done")

    page.get_by_label("Sub-task title").focus()
    page.keyboard.type("Card payment form")
    page.keyboard.press("Tab")
    page.keyboard.type("5")
    page.keyboard.press("Enter")

    expect(page.locator("#subtask-progress")).to_contain_text("1 of 2 done · 3 of 8 points")
    expect(page.locator(".subtask-list")).to_contain_text("Card payment form")
    # Focus comes back to the form, ready for the next sub-task.
    expect(page.get_by_label("Sub-task title")).to_be_focused()
    sub = Task.objects.get(title="Card payment form")
    assert (sub.parent_id, sub.estimate) == (parent.pk, Decimal(5))

    picker = page.get_by_role("combobox", name="Task", exact=True)
    picker.focus()
    page.keyboard.type("payment")
    listbox = page.get_by_role("listbox", name="Task suggestions", exact=True)
    # Newest first: the sub-task just added, the receipts, then the contract.
    expect(listbox.get_by_role("option")).to_have_count(3)
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(picker).to_have_attribute("aria-activedescendant", f"other-option-{blocker.pk}")
    page.keyboard.press("Enter")  # picks
    expect(picker).to_have_value(blocker.key)
    expect(listbox).to_be_hidden()
    page.keyboard.press("Enter")  # submits

    expect(page.locator("#dependencies .task-links")).to_contain_text(
        f"{blocker.key} Payment provider"
    )
    assert TaskDependency.objects.filter(blocking=blocker, blocked=parent).exists()
    # Before any screenshot: Playwright's "animations disabled" injects a style tag, which the
    # CSP refuses and logs as a console error of its own.
    assert console.errors == []
    if viewport is None:
        capture(page, "shaping-task-page", full_page=True)
    else:
        capture(page, "shaping-task-page-phone")


def test_a_cycle_is_refused_with_its_path_on_the_page(
    logged_in_page: Page, world: World, checkout: dict[str, Task]
):
    page = logged_in_page
    parent, blocker = checkout["parent"], checkout["blocker"]
    TaskDependencyFactory(blocking=blocker, blocked=parent)
    page.goto(task_url(world, parent))

    page.get_by_label("This task is").select_option("blocks")
    page.get_by_role("combobox", name="Task", exact=True).fill(blocker.key)
    page.get_by_role("button", name="Add dependency").click()

    alert = page.locator("#dependencies .form-errors")
    expect(alert).to_contain_text(f"{parent.key} → {blocker.key} → {parent.key}")
    assert TaskDependency.objects.count() == 1
    capture(page, "shaping-cycle-refused")


def test_escape_closes_the_picker_and_enter_without_a_choice_submits_the_text(
    logged_in_page: Page, world: World, checkout: dict[str, Task]
):
    page = logged_in_page
    page.goto(task_url(world, checkout["parent"]))
    picker = page.get_by_role("combobox", name="Parent task")
    picker.focus()
    page.keyboard.type("zzz nothing")
    listbox = page.get_by_role("listbox", name="Parent task suggestions")
    expect(listbox).to_contain_text("No matching task")
    expect(picker).to_have_attribute("aria-expanded", "true")

    page.keyboard.press("Escape")

    expect(listbox).to_be_hidden()
    expect(picker).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(page.locator("#subtasks")).to_contain_text("is not a task key")
    checkout["parent"].refresh_from_db()
    assert checkout["parent"].parent_id is None


def test_docs_screenshot_of_the_open_task_picker(
    logged_in_page: Page, world: World, checkout: dict[str, Task]
):
    page = logged_in_page
    page.goto(task_url(world, checkout["parent"]))
    page.get_by_role("combobox", name="Task", exact=True).focus()
    page.keyboard.type("pay")
    expect(page.locator(".picker-listbox [role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.locator('.picker-listbox [aria-selected="true"]')).to_have_count(1)

    capture(page, "shaping-task-picker")
