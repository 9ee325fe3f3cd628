"""One truth in a real browser: a card dragged to Done moves one number, and every page that
shows it (the key result, its objective, the company objective that objective is aligned
under, the roadmap item and its timeline bar, the task's alignment line, the leader dashboard)
shows the same new number, the read model's."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from okrs.models import KeyResult, Objective, Period
from readmodel.selectors import rollups_for
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem
from tasks import services
from tasks.models import Sprint, StateCategory
from tests.conftest import World
from tests.factories.work import state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def line(world: World) -> dict:
    """Company objective ← team objective (aligned under it) ← task-fed KR ← roadmap item with
    3 of 10 points done; the company also has a check-in key result of its own at 0%."""
    today = timezone.localdate()
    workspace, team, member = world.workspace, world.team, world.member
    period = Period.objects.create(
        workspace=workspace,
        name="This quarter",
        start=today - timedelta(days=30),
        end=today + timedelta(days=60),
    )
    company = Objective.objects.create(
        workspace=workspace, period=period, title="Win mid-market teams", level="company"
    )
    KeyResult.objects.create(
        workspace=workspace,
        objective=company,
        title="Net revenue retention from 100% to 120%",
        baseline=Decimal(100),
        target=Decimal(120),
        current=Decimal(100),
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
        title="Self-serve upgrades shipped",
        source="tasks",
        baseline=Decimal(0),
        target=Decimal(100),
    )
    roadmap = Roadmap.objects.create(workspace=workspace, name="Product 2026")
    item = RoadmapItem.objects.create(
        workspace=workspace,
        roadmap=roadmap,
        title="Plan upgrades in-app",
        owner_team=team,
        start_date=today - timedelta(days=20),
        target_date=today + timedelta(days=40),
        status="in_progress",
    )
    KeyResultLink.objects.create(workspace=workspace, item=item, key_result=key_result)
    sprint = Sprint.objects.create(
        workspace=workspace,
        team=team,
        name="Sprint 12",
        start_date=today - timedelta(days=4),
        end_date=today + timedelta(days=10),
        status="active",
    )
    tasks = [
        services.task_create(
            actor=member,
            team=team,
            title=title,
            estimate=points,
            roadmap_item=item,
            sprint=sprint,
            state=state_of(team, category),
        )
        for title, points, category in [
            ("Upgrade button on the plan page", 3, StateCategory.DONE),
            ("Prorate mid-cycle upgrades", 5, StateCategory.UNSTARTED),
            ("Email receipt after an upgrade", 2, StateCategory.UNSTARTED),
        ]
    ]
    return {
        "company": company,
        "objective": objective,
        "key_result": key_result,
        "item": item,
        "tasks": tasks,
    }


def _shown(page: Page, path: str, selector: str) -> int:
    """The percent a page shows in `selector` ("80%" → 80)."""
    page.goto(path)
    text = page.locator(selector).first.inner_text()
    return int(text.split("%")[0].strip())


def _every_surface(page: Page, world: World, line: dict) -> dict[str, dict[str, int]]:
    slug = world.workspace.slug
    company, objective = line["company"], line["objective"]
    key_result, item, task = line["key_result"], line["item"], line["tasks"][1]
    objective_page = f"/w/{slug}/okrs/objectives/{objective.pk}/"
    task_page = f"/w/{slug}/tasks/{task.key}/"
    leader = f"/w/{slug}/dashboards/"
    return {
        "key_result": {
            "objective page": _shown(page, objective_page, f"#kr-{key_result.pk} .pct"),
            "task line": _shown(page, task_page, f'[data-node="key_result-{key_result.pk}"] .pct'),
        },
        "objective": {
            "its page": _shown(page, objective_page, "#objective-progress"),
            "task line": _shown(page, task_page, f'[data-node="objective-{objective.pk}"] .pct'),
            "leader": _shown(page, leader, f"#objective-{objective.pk} .progress-value"),
        },
        "company": {
            "its page": _shown(
                page, f"/w/{slug}/okrs/objectives/{company.pk}/", "#objective-progress"
            ),
            "task line": _shown(page, task_page, f'[data-node="objective-{company.pk}"] .pct'),
            "leader": _shown(page, leader, f"#objective-{company.pk} .progress-value"),
        },
        "roadmap_item": {
            "its page": _shown(
                page,
                f"/w/{slug}/roadmaps/{item.roadmap_id}/items/{item.pk}/",
                ".item-progress .pct",
            ),
            "timeline": _shown(
                page, f"/w/{slug}/roadmaps/{item.roadmap_id}/", f"#item-{item.pk} .item-progress"
            ),
            "task line": _shown(page, task_page, f'[data-node="roadmap_item-{item.pk}"] .pct'),
        },
    }


def _rows(world: World, line: dict) -> dict[str, int]:
    nodes = {
        "key_result": ("key_result", line["key_result"].pk),
        "objective": ("objective", line["objective"].pk),
        "company": ("objective", line["company"].pk),
        "roadmap_item": ("roadmap_item", line["item"].pk),
    }
    wanted: dict[str, list[int]] = {}
    for kind, pk in nodes.values():
        wanted.setdefault(kind, []).append(pk)
    rows = rollups_for(world.workspace.pk, wanted)
    return {name: rows[key].percent for name, key in nodes.items()}


def _agree(shown: dict[str, dict[str, int]], rows: dict[str, int]) -> None:
    for node, surfaces in shown.items():
        assert set(surfaces.values()) == {rows[node]}, f"{node}: row {rows[node]}, {surfaces}"


def test_a_card_moved_to_done_moves_every_page_to_the_same_number(
    logged_in_page: Page, world: World, line: dict, console
):
    page = logged_in_page
    before = _every_surface(page, world, line)
    _agree(before, _rows(world, line))
    # 3 of 10 points done: the item, the key result and its objective show 30%.
    assert before["key_result"]["objective page"] == 30

    task = line["tasks"][1]  # "Prorate mid-cycle upgrades", 5 points, in Todo
    page.goto(f"/w/{world.workspace.slug}/teams/{world.team.pk}/board/")
    done = page.locator(".board-column", has=page.get_by_role("heading", name="Done", exact=True))
    page.locator(f"#task-{task.key}").drag_to(done.locator("[data-drop-zone]"))
    expect(done.locator(f"#task-{task.key}")).to_have_attribute(
        "data-version", str(task.version + 1)
    )

    after = _every_surface(page, world, line)
    rows = _rows(world, line)
    _agree(after, rows)
    # 8 of 10 points: every page of the item, the key result and the objective says 80%;
    # the company objective, which counts the team objective aligned under it, moved too.
    assert rows["key_result"] == rows["objective"] == rows["roadmap_item"] == 80
    assert rows["company"] > before["company"]["its page"]
    assert console.errors == []
