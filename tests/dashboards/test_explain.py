"""Explanations: what a key result's or an objective's number is made of, down to the tasks.

The numbers come from the materialized rollup rows; only the task lines come from the tasks,
and shown in full they add up to their item's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboards import explain
from dashboards.rollups import recompute_all
from okrs.models import KeyResult, KeyResultSource, Objective
from readmodel.models import Rollup
from roadmaps.models import RoadmapItem
from tasks.models import StateCategory, Task
from tests.conftest import World
from tests.factories.okrs import CheckInFactory, KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapFactory,
    RoadmapItemFactory,
    TaskFactory,
    state_of,
)
from tests.querycount import assert_flat_queries


@dataclass
class Work:
    objective: Objective
    tasks_kr: KeyResult
    manual_kr: KeyResult
    api: RoadmapItem
    docs: RoadmapItem
    tasks: dict[str, Task]


def _task(world: World, item: RoadmapItem, title: str, category: str, points: object) -> Task:
    return TaskFactory(
        team=world.team,
        roadmap_item=item,
        title=title,
        state=state_of(world.team, category),
        estimate=None if points is None else Decimal(str(points)),
    )


@pytest.fixture
def work(world: World) -> Work:
    """A tasks-fed KR over two items (weights 1 and 0.5) and a manual KR (weight 2).

    API item: done 5, started 8, canceled 3 (not counted), done unestimated → 5 / 13 points.
    Docs item: done 2, backlog 4 → 2 / 6 points.
    KR: (1 × 5 + 0.5 × 2) / (1 × 13 + 0.5 × 6) = 6 / 16 = 37.5%.
    """
    period = PeriodFactory(workspace=world.workspace, name="Q2")
    objective = ObjectiveFactory(period=period, team=world.team, title="Ship the planner")
    tasks_kr = KeyResultFactory(
        objective=objective, title="Planner shipped", source=KeyResultSource.TASKS
    )
    manual_kr = KeyResultFactory(
        objective=objective,
        title="Weekly planners",
        baseline=Decimal(10),
        target=Decimal(50),
        current=Decimal(20),
        weight=Decimal(2),
    )
    roadmap = RoadmapFactory(workspace=world.workspace, name="Planner")
    api = RoadmapItemFactory(roadmap=roadmap, title="Planner API")
    docs = RoadmapItemFactory(roadmap=roadmap, title="Planner docs")
    KeyResultLinkFactory(item=api, key_result=tasks_kr, weight=Decimal(1))
    KeyResultLinkFactory(item=docs, key_result=tasks_kr, weight=Decimal("0.5"))
    tasks = {
        "api-done": _task(world, api, "Endpoints", StateCategory.DONE, 5),
        "api-open": _task(world, api, "Pagination", StateCategory.STARTED, 8),
        "api-canceled": _task(world, api, "GraphQL", StateCategory.CANCELED, 3),
        "api-unestimated": _task(world, api, "Changelog", StateCategory.DONE, None),
        "docs-done": _task(world, docs, "Guide", StateCategory.DONE, 2),
        "docs-open": _task(world, docs, "Reference", StateCategory.BACKLOG, 4),
    }
    CheckInFactory(key_result=manual_kr, value=Decimal(20), confidence=6, note="Slow start")
    recompute_all(world.workspace)
    return Work(objective, tasks_kr, manual_kr, api, docs, tasks)


def _row(kind: str, node_id: int) -> Rollup:
    return Rollup.objects.get(kind=kind, node_id=node_id)


def test_a_tasks_fed_key_result_lists_every_item_and_task_with_the_rows_numbers(
    world: World, work: Work
) -> None:
    explanation = explain.key_result_explanation(world.workspace, work.tasks_kr)
    assert [i.title for i in explanation.items] == ["Planner API", "Planner docs"]
    api, docs = explanation.items
    assert (api.weight, docs.weight) == (Decimal(1), Decimal("0.5"))
    assert api.row is not None
    assert (api.row.done_points, api.row.total_points) == (Decimal(5), Decimal(13))
    assert (api.row.done_count, api.row.total_count) == (2, 3)
    assert {t.title for t in api.tasks} == {"Endpoints", "Pagination", "GraphQL", "Changelog"}
    canceled = next(t for t in api.tasks if t.title == "GraphQL")
    assert (canceled.is_counted, canceled.is_done, canceled.points) == (False, False, Decimal(3))
    endpoints = next(t for t in api.tasks if t.title == "Endpoints")
    task = work.tasks["api-done"]
    assert endpoints.key == f"ENG-{task.number}"
    assert endpoints.url == reverse("tasks:task", args=[world.workspace.slug, endpoints.key])
    assert (endpoints.state, endpoints.category) == ("Done", "done")
    assert api.url == reverse(
        "roadmaps:item", args=[world.workspace.slug, work.api.roadmap_id, work.api.pk]
    )
    assert explanation.arithmetic == (
        "Σ weight × done points / Σ weight × total points = (1 × 5.0 + 0.5 × 2.0) / "
        "(1 × 13.0 + 0.5 × 6.0) = 6.0 / 16.0 = 38%"
    )
    assert explanation.reconciles


def test_the_task_lines_add_up_to_each_items_row_and_the_items_to_the_key_results_row(
    world: World, work: Work
) -> None:
    explanation = explain.key_result_explanation(world.workspace, work.tasks_kr)
    for item in explanation.items:
        row = _row("roadmap_item", item.id)
        assert item.sums() == (row.done_points, row.total_points, row.done_count, row.total_count)
        assert not item.tasks_changed
    kr_row = _row("key_result", work.tasks_kr.pk)
    assert sum(i.weighted_done for i in explanation.items) == kr_row.done_points
    assert sum(i.weighted_total for i in explanation.items) == kr_row.total_points
    assert explanation.row is not None
    assert explanation.row.percent == kr_row.percent == 38


def test_a_task_changed_after_the_row_was_computed_is_flagged_not_hidden(
    world: World, work: Work
) -> None:
    # Written behind the services' back: the rows keep their numbers until a refresh.
    Task.objects.filter(pk=work.tasks["docs-open"].pk).update(estimate=Decimal(10))
    explanation = explain.key_result_explanation(world.workspace, work.tasks_kr)
    docs = explanation.items[1]
    assert docs.row is not None
    assert docs.row.total_points == Decimal(6)  # the row, not a recount
    assert docs.tasks_changed


def test_a_manual_key_result_shows_baseline_current_target_and_latest_check_ins(
    world: World, work: Work
) -> None:
    explanation = explain.key_result_explanation(world.workspace, work.manual_kr)
    assert explanation.items == []
    assert explanation.arithmetic == (
        "(current − baseline) / (target − baseline) = (20.0 − 10.0) / (50.0 − 10.0) = "
        "10.0 / 40.0 = 25%"
    )
    assert [(c.value, c.confidence, c.note) for c in explanation.check_ins] == [
        (Decimal(20), 6, "Slow start")
    ]


def test_an_objective_lists_each_key_results_share_progress_and_contribution(
    world: World, work: Work
) -> None:
    explanation = explain.objective_explanation(world.workspace, work.objective)
    parts = {p.title: p for p in explanation.parts}
    assert list(parts) == ["Planner shipped", "Weekly planners"]
    shipped, planners = parts["Planner shipped"], parts["Weekly planners"]
    assert (shipped.share, planners.share) == pytest.approx((1 / 3, 2 / 3))
    assert shipped.progress == pytest.approx(0.375)
    assert planners.progress == pytest.approx(0.25)
    row = _row("objective", work.objective.pk)
    assert sum(p.contribution for p in explanation.parts) == pytest.approx(
        float(row.progress), abs=1e-4
    )
    assert explanation.reconciles
    assert (
        explanation.arithmetic == f"Σ share × progress = 33.3% × 38% + 66.7% × 25% = {row.percent}%"
    )


def test_a_children_fed_key_result_lists_the_aligned_objectives(world: World, work: Work) -> None:
    parent_kr = KeyResultFactory(
        objective=work.objective, title="Teams aligned", source=KeyResultSource.CHILDREN
    )
    child = ObjectiveFactory(
        period=work.objective.period,
        team=world.team,
        title="Docs team ships",
        parent_key_result=parent_kr,
        parent=work.objective,
        weight=Decimal(3),
    )
    KeyResultFactory(objective=child, title="Pages", current=Decimal(40))
    recompute_all(world.workspace)
    explanation = explain.key_result_explanation(world.workspace, parent_kr)
    assert [(p.title, p.weight, p.share) for p in explanation.parts] == [
        ("Docs team ships", Decimal(3), 1.0)
    ]
    assert explanation.parts[0].progress == pytest.approx(0.4)
    assert explanation.arithmetic == "Σ share × progress = 100.0% × 40% = 40%"


def test_long_task_lists_are_capped_with_a_show_all_link(
    world: World, work: Work, member_client
) -> None:
    for n in range(explain.lines.TASKS_PER_ITEM + 2):
        _task(world, work.docs, f"Extra {n}", StateCategory.BACKLOG, 1)
    recompute_all(world.workspace)
    explanation = explain.key_result_explanation(world.workspace, work.tasks_kr)
    docs = explanation.items[1]
    assert len(docs.tasks) == explain.lines.TASKS_PER_ITEM
    assert docs.task_count == explain.lines.TASKS_PER_ITEM + 4
    assert docs.is_truncated
    assert not docs.tasks_changed  # a partial list is never compared with the row
    everything = explain.key_result_explanation(
        world.workspace, work.tasks_kr, item_id=work.docs.pk
    )
    assert len(everything.items[1].tasks) == docs.task_count
    assert everything.items[0].tasks == []  # only the item asked for
    page = member_client.get(docs.tasks_url).content.decode()
    assert "Extra 51" in page
    assert f"Showing {explain.lines.TASKS_PER_ITEM} of" not in page


def test_the_explanation_page_and_partial_show_the_arithmetic_and_links(
    world: World, work: Work, viewer_client
) -> None:
    url = reverse("dashboards:explain_key_result", args=[world.workspace.slug, work.tasks_kr.pk])
    page = viewer_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "6.0 / 16.0 = 38%" in html
    assert "<title>Explain · Planner shipped" in html
    assert f'href="{reverse("tasks:task", args=[world.workspace.slug, "ENG-1"])}"' in html
    partial = viewer_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "6.0 / 16.0 = 38%" in partial
    assert "<title>" not in partial
    objective_url = reverse(
        "dashboards:explain_objective", args=[world.workspace.slug, work.objective.pk]
    )
    html = viewer_client.get(objective_url).content.decode()
    assert "Σ share × progress" in html
    assert f'href="{url}"' in html


def test_the_api_explains_a_key_result_and_an_objective(
    world: World, work: Work, viewer_api
) -> None:
    base = f"/api/v1/workspaces/{world.workspace.slug}"
    data = viewer_api.get(f"{base}/key-results/{work.tasks_kr.pk}/explanation/").json()
    assert data["arithmetic"].endswith("= 6.0 / 16.0 = 38%")
    assert data["row"]["done_points"] == 6.0
    assert [i["weight"] for i in data["items"]] == [1.0, 0.5]
    assert data["items"][0]["row"]["total_points"] == 13.0
    assert len(data["items"][0]["tasks"]) == 4
    data = viewer_api.get(f"{base}/objectives/{work.objective.pk}/progress-explanation/").json()
    assert [p["kind"] for p in data["parts"]] == ["key_result", "key_result"]
    assert sum(p["contribution"] for p in data["parts"]) == pytest.approx(
        data["row"]["progress"], abs=1e-3
    )
    bad = viewer_api.get(f"{base}/key-results/{work.tasks_kr.pk}/explanation/?item=x")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["item"]


@pytest.mark.parametrize("bad", ["x", "0", "-3", "1.5", "²"])
def test_the_api_refuses_an_item_that_is_not_an_id(
    world: World, work: Work, viewer_api, bad: str
) -> None:
    url = f"/api/v1/workspaces/{world.workspace.slug}/key-results/{work.tasks_kr.pk}/explanation/"
    response = viewer_api.get(url, {"item": bad})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"item": ["Use an id: a whole number from 1."]}


def test_the_api_lists_one_items_tasks_with_item(world: World, work: Work, viewer_api) -> None:
    url = f"/api/v1/workspaces/{world.workspace.slug}/key-results/{work.tasks_kr.pk}/explanation/"
    data = viewer_api.get(url, {"item": work.docs.pk}).json()
    assert [i["title"] for i in data["items"]] == ["Planner API", "Planner docs"]
    assert data["items"][0]["tasks"] == []  # only the item asked for
    assert sorted(t["title"] for t in data["items"][1]["tasks"]) == ["Guide", "Reference"]


def test_another_workspaces_key_result_is_404(world: World, world_b: World, work: Work) -> None:
    from tests.conftest import api_client_for, client_for

    url = reverse("dashboards:explain_key_result", args=[world_b.workspace.slug, work.tasks_kr.pk])
    assert client_for(world_b.member.user).get(url).status_code == 404
    api = api_client_for(world_b.member)
    response = api.get(
        f"/api/v1/workspaces/{world_b.workspace.slug}/key-results/{work.tasks_kr.pk}/explanation/"
    )
    assert response.status_code == 404


def test_the_explanation_page_queries_do_not_grow_with_items_and_tasks(
    world: World, work: Work, viewer_client
) -> None:
    url = reverse("dashboards:explain_key_result", args=[world.workspace.slug, work.tasks_kr.pk])

    def grow() -> None:
        roadmap = work.api.roadmap
        for n in range(4):
            item = RoadmapItemFactory(roadmap=roadmap, title=f"More {n}")
            KeyResultLinkFactory(item=item, key_result=work.tasks_kr, weight=Decimal(1))
            for m in range(6):
                _task(world, item, f"More {n}.{m}", StateCategory.DONE, m)
        recompute_all(world.workspace)

    assert_flat_queries(viewer_client, url, grow=grow)


def test_the_objective_page_loads_the_explanations_with_a_link_that_works_without_js(
    world: World, work: Work, viewer_client
) -> None:
    page = viewer_client.get(work.objective.get_absolute_url()).content.decode()
    objective_url = reverse(
        "dashboards:explain_objective", args=[world.workspace.slug, work.objective.pk]
    )
    kr_url = reverse("dashboards:explain_key_result", args=[world.workspace.slug, work.tasks_kr.pk])
    assert f'hx-get="{objective_url}" hx-trigger="load, progress-changed from:body"' in page
    assert f'<a href="{objective_url}">' in page
    assert f'hx-get="{kr_url}" hx-trigger="revealed"' in page
    assert f'<a href="{kr_url}">See the roadmap items and tasks behind it' in page


def test_a_measured_key_results_history_is_its_snapshots_not_check_ins(
    world: World, work: Work, viewer_client
) -> None:
    CheckInFactory(key_result=work.tasks_kr, value=Decimal(0), confidence=3, note="Scope grew")
    page = viewer_client.get(work.objective.get_absolute_url()).content.decode()
    history = page[page.index(f'id="kr-{work.tasks_kr.pk}-history"') :]
    history = history[: history.index("</article>")]
    assert "so it takes no check-ins: its history is the daily snapshot" in history
    assert "Confidence updates" in history
    assert "Scope grew" in history
    assert "<h4>Check-ins</h4>" not in history
    manual = page[page.index(f'id="kr-{work.manual_kr.pk}-history"') :]
    assert "<h4>Check-ins</h4>" in manual[: manual.index("</article>")]


def test_an_objective_lists_the_objectives_its_row_counts_and_still_adds_up(
    world: World, work: Work
) -> None:
    """Whatever went into the objective's number (its row's `inputs`) is listed, and the
    contributions add up to the row: objectives aligned directly under it included."""
    child = ObjectiveFactory(
        period=work.objective.period,
        team=world.team,
        title="Docs team ships",
        parent=work.objective,
        weight=Decimal(3),
    )
    KeyResultFactory(objective=child, title="Pages", current=Decimal(80))
    recompute_all(world.workspace)
    row = _row("objective", work.objective.pk)
    explanation = explain.objective_explanation(world.workspace, work.objective)
    counted = [["objective", child.pk]] if ["objective", child.pk] in row.inputs else []
    listed = [[p.kind, p.id] for p in explanation.parts if p.kind == "objective"]
    assert listed == counted
    assert sum(p.contribution for p in explanation.parts) == pytest.approx(
        float(row.progress), abs=1e-3
    )
    assert explanation.reconciles


def test_round_numbers_read_as_numbers_not_exponents(
    world: World, work: Work, viewer_client
) -> None:
    item = RoadmapItemFactory(roadmap=work.api.roadmap, title="Planner billing")
    KeyResultLinkFactory(item=item, key_result=work.tasks_kr, weight=Decimal(10))
    _task(world, item, "Invoices", StateCategory.DONE, 20)
    recompute_all(world.workspace)
    url = reverse("dashboards:explain_key_result", args=[world.workspace.slug, work.tasks_kr.pk])
    html = viewer_client.get(url).content.decode()
    assert "E+" not in html
    assert '<td class="num">10</td>' in html  # the link weight
    assert '<td class="num">200.0 / 200.0</td>' in html  # weight × done / weight × total
    assert "10 × 20.0" in html


def test_a_link_added_after_the_row_was_computed_says_a_refresh_is_due(
    world: World, work: Work
) -> None:
    item = RoadmapItemFactory(roadmap=work.api.roadmap, title="Planner mobile")
    KeyResultLinkFactory(item=item, key_result=work.tasks_kr, weight=Decimal(1))
    explanation = explain.key_result_explanation(world.workspace, work.tasks_kr)
    assert [i.title for i in explanation.items] == ["Planner API", "Planner docs"]  # the row's
    assert not explanation.reconciles


def test_the_objective_explanation_queries_do_not_grow_with_key_results(
    world: World, work: Work, viewer_client
) -> None:
    url = reverse("dashboards:explain_objective", args=[world.workspace.slug, work.objective.pk])

    def grow() -> None:
        for n in range(5):
            KeyResultFactory(objective=work.objective, title=f"More {n}", current=Decimal(n))
        recompute_all(world.workspace)

    assert_flat_queries(viewer_client, url, grow=grow)
