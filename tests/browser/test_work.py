"""Work in a real browser: drag a card to Done (and move one by keyboard) and see it stay
after a reload; the duplicate warning while typing a new task's title; a task's line up to
the objectives; and the screenshots of docs/work.md."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from okrs.models import KeyResult, Objective, Period
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemDependency
from tasks import services
from tasks.models import Label, Sprint, StateCategory, Task, TaskLabel
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.work import ranked_tasks, state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def story(world: World) -> dict:
    """A quarter with a company objective, a team objective under it and its key result, a
    roadmap whose items move that KR, and an active sprint of tasks."""
    today = timezone.localdate()
    workspace, team, member = world.workspace, world.team, world.member
    period = Period.objects.create(
        workspace=workspace,
        name="This quarter",
        start=today - timedelta(days=40),
        end=today + timedelta(days=50),
    )
    company = Objective.objects.create(
        workspace=workspace, period=period, title="Win mid-market teams", level="company"
    )
    objective = Objective.objects.create(
        workspace=workspace,
        period=period,
        title="Make billing self-serve",
        level="team",
        team=team,
        parent=company,
    )
    key_result = KeyResult.objects.create(
        workspace=workspace,
        objective=objective,
        title="Self-serve upgrades from 10% to 40%",
        baseline=Decimal(10),
        target=Decimal(40),
        current=Decimal(22),
    )
    roadmap = Roadmap.objects.create(workspace=workspace, name="Product 2026")
    items = []
    for n, (title, start, length) in enumerate(
        [
            ("Invoice history", -35, 30),
            ("Plan upgrades in-app", -10, 45),
            ("Usage-based pricing", 20, 60),
            ("Tax handling", -60, 40),
        ]
    ):
        item = RoadmapItem.objects.create(
            workspace=workspace,
            roadmap=roadmap,
            title=title,
            owner_team=team,
            start_date=today + timedelta(days=start),
            target_date=today + timedelta(days=start + length),
            status="in_progress" if n < 2 else "planned",
        )
        if n < 3:
            KeyResultLink.objects.create(workspace=workspace, item=item, key_result=key_result)
        items.append(item)
    RoadmapItemDependency.objects.create(workspace=workspace, blocking=items[1], blocked=items[2])
    sprint = Sprint.objects.create(
        workspace=workspace,
        team=team,
        name="Sprint 12",
        goal="Customers upgrade without talking to us",
        start_date=today - timedelta(days=4),
        end_date=today + timedelta(days=10),
        status="active",
    )
    label = Label.objects.create(workspace=workspace, name="billing")
    in_progress = state_of(team, StateCategory.STARTED)
    in_progress.wip_limit = 3
    in_progress.save()
    plan = [
        ("Show past invoices with PDF download", StateCategory.DONE, 3, items[0]),
        ("Upgrade button on the plan page", StateCategory.STARTED, 5, items[1]),
        ("Prorate mid-cycle upgrades", StateCategory.UNSTARTED, 8, items[1]),
        ("Email receipt after an upgrade", StateCategory.UNSTARTED, 2, items[1]),
        ("Fix flaky checkout test", StateCategory.STARTED, 1, None),
        ("Usage meter for API calls", StateCategory.UNSTARTED, 5, items[2]),
    ]
    tasks = []
    for title, category, points, item in plan:
        task = services.task_create(
            actor=member,
            team=team,
            title=title,
            estimate=points,
            roadmap_item=item,
            sprint=sprint,
            assignee=member.user if points % 2 else world.admin.user,
            state=state_of(team, category),
        )
        tasks.append(task)
    TaskLabel.objects.create(workspace=workspace, task=tasks[1], label=label)
    services.task_dependency_add(actor=member, blocking=tasks[1], blocked=tasks[2])
    return {"team": team, "roadmap": roadmap, "tasks": tasks, "objective": objective}


def board_url(world: World) -> str:
    return f"/w/{world.workspace.slug}/teams/{world.team.pk}/board/"


def column(page: Page, name: str):
    return page.locator(".board-column", has=page.get_by_role("heading", name=name, exact=True))


def test_a_card_dragged_to_done_stays_there_after_a_reload(
    logged_in_page: Page, world: World, story: dict, console
):
    page = logged_in_page
    task: Task = story["tasks"][3]  # "Email receipt after an upgrade", in Todo
    page.goto(board_url(world))
    card = page.locator(f"#task-{task.key}")
    expect(column(page, "Todo").locator(f"#task-{task.key}")).to_be_visible()

    card.drag_to(column(page, "Done").locator("[data-drop-zone]"))

    expect(column(page, "Done").locator(f"#task-{task.key}")).to_be_visible()
    expect(column(page, "Done").locator(f"#task-{task.key}")).to_have_attribute(
        "data-version", str(task.version + 1)
    )
    page.reload()
    expect(column(page, "Done").locator(f"#task-{task.key}")).to_be_visible()
    task.refresh_from_db()
    assert task.state_category == StateCategory.DONE
    assert console.errors == []


def test_a_card_moves_to_the_next_column_with_alt_arrow(
    logged_in_page: Page, world: World, story: dict
):
    page = logged_in_page
    task: Task = story["tasks"][3]  # in Todo; the next column is In Progress
    page.goto(board_url(world))
    page.locator(f"#task-{task.key}").focus()

    page.keyboard.press("Alt+ArrowRight")

    expect(column(page, "In Progress").locator(f"#task-{task.key}")).to_be_visible()
    expect(page.locator("#move-announcer")).to_contain_text(f"{task.key} moved to In Progress")
    page.reload()
    expect(column(page, "In Progress").locator(f"#task-{task.key}")).to_be_visible()


def test_a_stale_drag_shows_the_message_and_reloads_the_card(
    logged_in_page: Page, world: World, story: dict
):
    page = logged_in_page
    task: Task = story["tasks"][3]
    page.goto(board_url(world))
    # Someone else moves it first, after this board was loaded.
    services.task_transition(
        actor=world.admin, task=task, to_state=state_of(world.team, StateCategory.STARTED)
    )

    page.locator(f"#task-{task.key}").drag_to(column(page, "Done").locator("[data-drop-zone]"))

    expect(page.locator("#flash")).to_contain_text("changed by someone else")
    expect(column(page, "In Progress").locator(f"#task-{task.key}")).to_be_visible()
    task.refresh_from_db()
    assert task.state_category == StateCategory.STARTED


def test_typing_a_near_duplicate_title_shows_the_warning(
    logged_in_page: Page, world: World, story: dict
):
    page = logged_in_page
    existing: Task = story["tasks"][3]  # "Email receipt after an upgrade", open
    page.goto(f"/w/{world.workspace.slug}/tasks/new/?team={world.team.pk}")

    page.get_by_label("Title").fill("Email the receipt after upgrades")

    warning = page.locator(".duplicate-warning")
    expect(warning).to_contain_text("Possible duplicate")
    expect(warning.get_by_role("link", name=f"{existing.key} {existing.title}")).to_be_visible()
    warning.get_by_role("button", name="Not a duplicate").click()
    expect(warning).to_be_hidden()


def test_a_task_page_shows_its_line_to_the_objectives(
    logged_in_page: Page, world: World, story: dict
):
    page = logged_in_page
    task: Task = story["tasks"][1]
    page.goto(f"/w/{world.workspace.slug}/tasks/{task.key}/")

    line = page.locator("#alignment-line")
    expect(line).to_contain_text("Plan upgrades in-app")
    expect(line).to_contain_text("Self-serve upgrades from 10% to 40%")
    line.get_by_role("link", name="Make billing self-serve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make billing self-serve")


def test_docs_screenshots_of_board_task_and_timeline(page: Page, world: World, story: dict):
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")

    page.goto(board_url(world))
    expect(page.locator(".task-card").first).to_be_visible()
    capture(page, "work-board")

    task: Task = story["tasks"][2]
    page.goto(f"/w/{world.workspace.slug}/tasks/{task.key}/")
    expect(page.locator("#alignment-line")).to_be_visible()
    capture(page, "work-task", full_page=True)

    page.goto(f"/w/{world.workspace.slug}/roadmaps/{story['roadmap'].pk}/")
    expect(page.locator(".tl-bar").first).to_be_visible()
    capture(page, "work-timeline")


def test_a_long_column_loads_its_other_cards_and_keeps_counting_them_all(
    logged_in_page: Page, world: World, console
):
    from tasks import board_selectors

    page = logged_in_page
    sprint = Sprint.objects.create(
        workspace=world.workspace,
        team=world.team,
        name="Long sprint",
        start_date=timezone.localdate() - timedelta(days=3),
        end_date=timezone.localdate() + timedelta(days=10),
        status="active",
    )
    todo = state_of(world.team, StateCategory.UNSTARTED)
    total = board_selectors.BOARD_COLUMN_PAGE + 7
    ranked_tasks(world.team, todo, total, title="Long column card", sprint=sprint)
    page.goto(board_url(world))
    todo_column = column(page, "Todo")
    expect(todo_column.locator(".task-card")).to_have_count(board_selectors.BOARD_COLUMN_PAGE)
    expect(todo_column.locator("[data-count]")).to_have_text(str(total))

    todo_column.get_by_role("link", name="Show 7 more").click()

    expect(todo_column.locator(".task-card")).to_have_count(total)
    expect(todo_column.get_by_text(f"Long column card {total - 1}")).to_be_visible()
    expect(todo_column.locator(".load-more")).to_have_count(0)
    expect(todo_column.locator("[data-count]")).to_have_text(str(total))
    assert console.errors == []
