"""Custom fields in a real browser: an admin defines a select shown on cards, a member sets it
on a task with the task page's small form, then filters the board by it; the same journey by
keyboard alone (Tab, Enter and typing) at desktop and phone widths, sorting the board too,
axe-core clean on every page; and the screenshots of docs/custom-fields.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from customfields.models import CustomField, CustomFieldValue
from tasks.models import StateCategory, Task
from tests.browser.axe import assert_accessible
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.browser.test_sprints import WIDTHS, tab_to, tab_to_field
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.customfields import set_values
from tests.factories.work import SprintFactory, TaskFactory, state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def board_tasks(world: World) -> dict[str, Task]:
    sprint = SprintFactory(team=world.team, name="Sprint 12", status="active")
    todo = state_of(world.team, StateCategory.UNSTARTED)
    return {
        "renewal": TaskFactory(
            team=world.team, sprint=sprint, state=todo, title="Renewal quote for the customer"
        ),
        "other": TaskFactory(team=world.team, sprint=sprint, state=todo, title="Refactor billing"),
    }


def test_define_a_field_set_it_on_a_task_and_filter_the_board(
    page: Page, world: World, board_tasks: dict[str, Task], console
):
    slug = world.workspace.slug
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")

    # The admin defines a single select shown on cards.
    page.goto(f"/w/{slug}/settings/custom-fields/")
    expect(page.get_by_role("heading", name="No custom fields yet")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Customer")
    page.get_by_label("Type").select_option(label="Single select")
    page.get_by_label("Options").fill("Acme\nGlobex")
    page.get_by_label("Show on cards").check()
    page.get_by_role("button", name="Add field").click()
    expect(page.locator("#custom-fields-table")).to_contain_text("Single select")
    field = CustomField.objects.get()
    assert (field.name, field.show_on_cards) == ("Customer", True)
    assert_accessible(page)
    capture(page, "custom-fields-settings", full_page=True)

    # A value is set on the task page, in place.
    renewal = board_tasks["renewal"]
    page.goto(f"/w/{slug}/tasks/{renewal.key}/")
    section = page.locator("#custom-fields")
    section.get_by_role("link", name="Edit fields").click()
    section.get_by_label("Customer").select_option(label="Acme")
    section.get_by_role("button", name="Save fields").click()
    expect(section.locator("dd")).to_have_text("Acme")
    expect(section.get_by_role("link", name="Edit fields")).to_be_visible()
    assert CustomFieldValue.objects.get(task=renewal).option.label == "Acme"
    assert console.errors == []
    capture(page, "custom-fields-task")

    # The board shows the value on the card and filters by it.
    page.goto(f"/w/{slug}/teams/{world.team.pk}/board/")
    card = page.locator(f"#task-{renewal.key}")
    expect(card.locator(".cf-badge")).to_have_text("Acme")
    expect(page.locator(f"#task-{board_tasks['other'].key}")).to_be_visible()
    box = page.get_by_label("Fields")
    box.fill('cf:"Customer=Acme"')
    box.press("Enter")
    expect(page.locator(f"#task-{board_tasks['other'].key}")).to_have_count(0)
    expect(card).to_be_visible()
    assert "cf" in page.url
    assert console.errors == []
    capture(page, "custom-fields-board")


def card_keys(page: Page) -> list[str]:
    """The board's cards, in page order (columns left to right, each top to bottom)."""
    return page.evaluate(
        "() => [...document.querySelectorAll('.board [id^=\"task-\"]')].map(c => c.id.slice(5))"
    )


def no_page_overflow(page: Page, width: int) -> None:
    """Nothing pushes the page wider than the screen (wide parts scroll inside themselves)."""
    wide = page.evaluate(
        "(width) => [...document.querySelectorAll('body *')]"
        ".filter(el => el.getBoundingClientRect().right > width + 1)"
        ".slice(0, 8).map(el => el.tagName + '#' + el.id + '.' + el.className"
        " + ' ' + Math.round(el.getBoundingClientRect().right))",
        width,
    )
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide: {wide}"


def type_into(page: Page, label: str, text: str) -> None:
    tab_to_field(page, label)
    page.keyboard.type(text)


@pytest.mark.parametrize("viewport", WIDTHS)
def test_by_keyboard_alone_define_a_field_set_it_inline_then_filter_and_sort_the_board(
    page: Page, world: World, board_tasks: dict[str, Task], viewport: dict, console
):
    slug = world.workspace.slug
    page.set_viewport_size(viewport)
    width = viewport["width"]
    renewal, other = board_tasks["renewal"], board_tasks["other"]

    page.goto("/accounts/login/")
    type_into(page, "Email", world.admin.user.email)
    type_into(page, "Password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/w/{slug}/")

    # Define a single select: Tab to each input, type; a focused select takes typed letters.
    page.goto(f"/w/{slug}/settings/custom-fields/")
    type_into(page, "Name", "Customer")
    tab_to_field(page, "Type")
    page.keyboard.type("Single")
    expect(page.get_by_label("Type")).to_have_value("select")
    type_into(page, "Options", "Acme")
    page.keyboard.press("Enter")  # a new line in the textarea: the next option
    page.keyboard.type("Globex")
    tab_to(page, "Add field")
    page.keyboard.press("Enter")
    expect(page.locator("#custom-fields-table")).to_contain_text("Single select")
    field = CustomField.objects.get()
    assert [o.label for o in field.options.order_by("position")] == ["Acme", "Globex"]
    no_page_overflow(page, width)
    assert_accessible(page)

    set_values(world.member, other, Customer="Acme")  # someone else's earlier work

    # On the task page: Edit fields (Enter), the form takes the focus, choose, Save (Enter).
    page.goto(f"/w/{slug}/tasks/{renewal.key}/")
    section = page.locator("#custom-fields")
    tab_to(page, "Edit fields", limit=200)
    page.keyboard.press("Enter")
    choice = section.get_by_label("Customer")
    expect(choice).to_be_focused()
    page.keyboard.type("Glo")
    expect(choice).to_have_value(str(field.options.get(label="Globex").pk))
    no_page_overflow(page, width)
    assert_accessible(page)
    tab_to(page, "Save fields", limit=10)
    page.keyboard.press("Enter")
    expect(section.locator("dd")).to_have_text("Globex")
    # The focus stays in the section: on Edit fields again, ready for the next change.
    expect(section.get_by_role("link", name="Edit fields")).to_be_focused()
    assert CustomFieldValue.objects.get(task=renewal).option.label == "Globex"
    no_page_overflow(page, width)
    assert_accessible(page)
    if width < 800:
        section.scroll_into_view_if_needed()
        capture(page, "custom-fields-task-phone")

    # The board: sort by the field (option order: Acme, then Globex), then the other way.
    page.goto(f"/w/{slug}/teams/{world.team.pk}/board/")
    expect(page.locator(f"#task-{renewal.key}")).to_be_visible()
    box = page.get_by_label("Fields")
    type_into(page, "Fields", "sort:Customer")
    page.keyboard.press("Enter")
    expect(box).to_have_value("sort:Customer")
    page.wait_for_url("**q=sort*")
    assert card_keys(page) == [other.key, renewal.key]
    tab_to_field(page, "Fields")
    page.keyboard.press("Control+A")  # select what is typed there, to type over it
    page.keyboard.type("sort:-Customer")
    page.keyboard.press("Enter")
    page.wait_for_url("**sort%3A-Customer*")
    expect(page.locator(".board").first).to_be_visible()
    assert card_keys(page) == [renewal.key, other.key]
    no_page_overflow(page, width)
    assert_accessible(page)

    # Filter: only the Globex card stays.
    tab_to_field(page, "Fields")
    page.keyboard.press("Control+A")
    page.keyboard.type('cf:"Customer=Globex"')
    page.keyboard.press("Enter")
    expect(page.locator(f"#task-{other.key}")).to_have_count(0)
    expect(page.locator(f"#task-{renewal.key}")).to_be_visible()
    assert card_keys(page) == [renewal.key]
    no_page_overflow(page, width)
    assert_accessible(page)
    assert console.errors == []
    if width < 800:
        capture(page, "custom-fields-board-phone")
