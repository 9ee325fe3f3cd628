"""Sprints in a real browser: plan a sprint with capacities and start it with the keyboard alone,
then start, close with carry-over and read the scope history, at desktop and phone widths; axe-core
finds no serious or critical violation on any sprint page. Also the screenshots of docs/work.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from alignment.models import TeamMember
from tasks import services
from tasks.models import Sprint, SprintCapacity, SprintStatus, StateCategory, Task
from tests.browser.axe import assert_accessible
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.work import state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WIDTHS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture
def team_members(world: World) -> World:
    """The member and the admin belong to the team, so the capacity form offers them."""
    for membership in (world.member, world.admin):
        TeamMember.objects.create(workspace=world.workspace, team=world.team, user=membership.user)
    return world


def sprints_url(world: World) -> str:
    return f"/w/{world.workspace.slug}/teams/{world.team.pk}/sprints/"


def focused_name(page: Page) -> str:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return (el.getAttribute('aria-label') || el.innerText || el.value || el.id || '')"
        ".replace(/\\s+/g, ' ').trim(); }"
    )


def tab_to(page: Page, name: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element is called `name` (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_name(page) == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def tab_to_field(page: Page, label: str, *, limit: int = 40) -> None:
    """Press Tab until the focused form field is the one labelled `label`."""
    target = page.get_by_label(label, exact=True)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached the field {label!r}")


def fill_sprint_by_keyboard(page: Page, *, name: str, goal: str, capacities: dict[str, str]):
    tab_to_field(page, "Name")
    page.keyboard.press("Control+A")
    page.keyboard.type(name)
    tab_to_field(page, "Goal")
    page.keyboard.type(goal)
    for label, points in capacities.items():
        tab_to_field(page, label)
        page.keyboard.type(points)


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_sprint_is_planned_and_started_with_the_keyboard_alone(
    logged_in_page: Page, team_members: World, viewport: dict, console
):
    world, page = team_members, logged_in_page
    page.set_viewport_size(viewport)
    page.goto(sprints_url(world))
    expect(page.get_by_role("heading", name="No sprints yet")).to_be_visible()
    assert_accessible(page)

    tab_to(page, "Plan the first sprint")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Plan a sprint")).to_be_visible()
    assert_accessible(page)
    member, admin = world.member.user.display_name, world.admin.user.display_name
    fill_sprint_by_keyboard(
        page,
        name="Sprint 1",
        goal="Customers upgrade without help",
        capacities={f"{member}: capacity (points)": "5", f"{admin}: capacity (points)": "8"},
    )
    if viewport is DESKTOP:
        capture(page, "sprints-plan", full_page=True)
    page.keyboard.press("Enter")  # Enter in a text field submits the form

    expect(page.get_by_role("heading", name="Sprint 1 Planned")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("Sprint 1 is planned.")
    sprint = Sprint.objects.get(team=world.team)
    assert dict(SprintCapacity.objects.values_list("user__full_name", "points")) == {
        world.member.user.full_name: 5,
        world.admin.user.full_name: 8,
    }
    # Planning moves work in (the backlog's job); 9 points for the member, over their 5.
    for title, points in (("Upgrade button", 5), ("Prorate upgrades", 4)):
        services.task_create(
            actor=world.member,
            team=world.team,
            title=title,
            estimate=points,
            sprint=sprint,
            assignee=world.member.user,
        )

    tab_to(page, "Start sprint…")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Start Sprint 1")).to_be_visible()
    expect(page.locator("#over-capacity-warning")).to_contain_text(
        "1 person is over their own capacity"
    )
    member_row = page.get_by_role("row", name=member)
    expect(member_row).to_contain_text("9")
    expect(member_row).to_contain_text("Over capacity")
    assert_accessible(page)
    if viewport is DESKTOP:
        capture(page, "sprints-start", full_page=True)
    else:
        capture(page, "sprints-start-phone", full_page=True)
    tab_to(page, "Start Sprint 1")
    page.keyboard.press("Enter")

    expect(page.locator("#flash")).to_contain_text("Sprint 1 has started.")
    expect(page.get_by_role("heading", name=f"{world.team.name} board")).to_be_visible()
    sprint.refresh_from_db()
    assert sprint.status == SprintStatus.ACTIVE
    assert console.errors == []


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_sprint_is_closed_with_its_unfinished_work_carried_to_the_next(
    logged_in_page: Page, team_members: World, viewport: dict, console
):
    world, page = team_members, logged_in_page
    page.set_viewport_size(viewport)
    for name, start, end in (("Sprint 1", "2026-05-11", "2026-05-24"), ("Sprint 2", "", "")):
        page.goto(sprints_url(world))
        page.get_by_role("link", name="Plan a sprint").first.click()
        page.get_by_label("Name", exact=True).fill(name)
        if start:
            page.get_by_label("Starts").fill(start)
            page.get_by_label("Ends").fill(end)
        page.get_by_role("button", name="Plan the sprint").click()
        expect(page.locator("#flash")).to_contain_text(f"{name} is planned.")
    first, second = Sprint.objects.get(name="Sprint 1"), Sprint.objects.get(name="Sprint 2")
    assert (str(second.start_date), str(second.end_date)) == ("2026-05-25", "2026-06-07")
    done, carried = (
        services.task_create(
            actor=world.member, team=world.team, title=title, estimate=points, sprint=first
        )
        for title, points in (("Invoice history", 3), ("Usage meter", 5))
    )

    page.goto(sprints_url(world))
    page.locator(f"#sprint-{first.pk}").get_by_role("link", name="Start… Sprint 1").click()
    page.get_by_role("button", name="Start Sprint 1").click()
    expect(page.locator("#flash")).to_contain_text("Sprint 1 has started.")
    services.task_transition(
        actor=world.member,
        task=Task.objects.get(pk=done.pk),
        to_state=state_of(world.team, StateCategory.DONE),
    )

    page.goto(sprints_url(world))
    expect(page.locator("#sprint-" + str(first.pk))).to_contain_text("3 of 8 points done")
    assert_accessible(page)
    if viewport is DESKTOP:
        capture(page, "sprints-list", full_page=True)
    page.locator(f"#sprint-{first.pk}").get_by_role("link", name="Close… Sprint 1").click()
    expect(page.get_by_role("heading", name="Close Sprint 1")).to_be_visible()
    expect(page.get_by_role("row", name="Completed")).to_contain_text(done.key)
    expect(page.get_by_role("row", name="Open")).to_contain_text(carried.key)
    expect(page.get_by_label("Move unfinished work to")).to_have_value(str(second.pk))
    assert_accessible(page)
    if viewport is DESKTOP:
        capture(page, "sprints-close", full_page=True)
    page.get_by_role("button", name="Close Sprint 1").click()

    expect(page.locator("#flash")).to_contain_text(
        "Sprint 1 is closed. 1 unfinished task moved to Sprint 2."
    )
    assert Task.objects.get(pk=carried.pk).sprint_id == second.pk
    page.get_by_role("link", name="Sprint page").click()
    history = page.locator("#scope-history")
    expect(history.get_by_role("row", name=carried.key).first).to_contain_text("Carried over")
    expect(page.locator("#sprint-numbers").get_by_role("row", name="Carried over")).to_contain_text(
        "5"
    )
    assert_accessible(page)
    if viewport is DESKTOP:
        capture(page, "sprints-detail", full_page=True)

    page.goto(f"/w/{world.workspace.slug}/teams/{world.team.pk}/sprints/{second.pk}/")
    expect(page.locator("#scope-history").get_by_role("row", name=carried.key)).to_contain_text(
        "Moved in"
    )
    assert console.errors == []
