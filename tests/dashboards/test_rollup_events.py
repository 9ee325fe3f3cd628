"""Rollup writers publish RollupChanged for exactly the nodes whose progress or status moved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alignment import events
from dashboards import rollups
from dashboards.events import RollupChanged
from okrs import services as okr_services
from readmodel.models import Rollup
from tasks import services as task_services
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan

pytestmark = pytest.mark.django_db

Reading = tuple[str | None, str]


class Recorder:
    """An in-transaction subscriber: what was published, and what the table held just then."""

    def __init__(self) -> None:
        self.events: list[RollupChanged] = []
        self.stored_then: list[Reading | None] = []

    def __call__(self, event: RollupChanged) -> None:
        self.events.append(event)
        row = Rollup.objects.filter(kind=event.kind, node_id=event.node_id).first()
        self.stored_then.append(None if row is None else (str(row.progress), row.status))

    def reset(self) -> None:
        self.events.clear()
        self.stored_then.clear()

    def keys(self) -> set[tuple[str, int]]:
        return {(e.kind, e.node_id) for e in self.events}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recorder = Recorder()
    events.subscribe(RollupChanged, recorder, in_transaction=True)
    yield recorder
    events.unsubscribe(RollupChanged, recorder)


def readings(plan: Plan) -> dict[tuple[str, int], Reading]:
    return {
        (r.kind, r.node_id): (str(r.progress), r.status)
        for r in Rollup.objects.filter(workspace=plan.world.workspace)
    }


def moved(before: dict, after: dict) -> set[tuple[str, int]]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def test_a_task_done_publishes_exactly_the_nodes_that_moved(
    plan: Plan, recorder: Recorder, django_capture_on_commit_callbacks
):
    plan.task(item=plan.item_a, estimate="2", category=C.DONE, sprint=plan.sprint)
    last = plan.task(item=plan.item_a, estimate="2", category=C.STARTED, sprint=plan.sprint)
    plan.task(item=plan.item_loose, estimate="5", category=C.STARTED)  # untouched by the move
    rollups.recompute_all(plan.world.workspace)
    recorder.reset()
    before = readings(plan)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=plan.world.member, task=last, to_state=plan.states[C.DONE]
        )
    after = readings(plan)
    expected = moved(before, after)
    # The item (0.5 → 1), its KR, the company objective, the sprint and its team moved.
    assert {
        ("roadmap_item", plan.item_a.pk),
        ("key_result", plan.from_work.pk),
        ("objective", plan.company.pk),
        ("sprint", plan.sprint.pk),
        ("team", plan.team.pk),
    } <= expected
    assert ("roadmap_item", plan.item_loose.pk) not in expected
    assert recorder.keys() == expected
    assert len(recorder.events) == len(expected)  # once each
    for event in recorder.events:
        key = (event.kind, event.node_id)
        assert (event.progress_before, event.status_before) == before[key]
        assert (event.progress_after, event.status_after) == after[key]
        assert event.workspace_id == plan.world.workspace.pk
    # Published inside the writing transaction, after the row was written.
    assert recorder.stored_then == [(e.progress_after, e.status_after) for e in recorder.events]


def test_a_status_change_without_progress_change_is_published(
    plan: Plan, recorder: Recorder, django_capture_on_commit_callbacks
):
    rollups.recompute_all(plan.world.workspace)
    recorder.reset()
    plan.manual.refresh_from_db()
    before = readings(plan)
    with django_capture_on_commit_callbacks(execute=True):
        okr_services.key_result_check_in(
            actor=plan.world.member, key_result=plan.manual, value=plan.manual.current, confidence=1
        )
    after = readings(plan)
    key = ("key_result", plan.manual.pk)
    assert before[key][0] == after[key][0]  # same progress …
    assert before[key][1] != after[key][1]  # … a worse status (confidence 1 of 10)
    assert recorder.keys() == moved(before, after)


def test_a_repeat_recompute_publishes_nothing(plan: Plan, recorder: Recorder):
    plan.task(item=plan.item_a, estimate="3", category=C.DONE)
    rollups.recompute_all(plan.world.workspace)
    recorder.reset()
    rollups.recompute_all(plan.world.workspace)
    plan.task(item=plan.item_a, estimate="3", category=C.DONE)
    rollups.refresh_ancestors_of_task(plan.task(item=None, estimate="1", category=C.DONE).pk)
    assert recorder.events == []


def test_a_new_node_and_a_gone_node_are_published_with_no_reading_on_the_empty_side(
    plan: Plan, recorder: Recorder
):
    rollups.recompute_all(plan.world.workspace)
    recorder.reset()
    item_id = plan.item_loose.pk
    plan.item_loose.delete()
    Rollup.objects.filter(kind="roadmap_item", node_id=plan.item_a.pk).delete()
    rollups.recompute_all(plan.world.workspace)
    by_key = {(e.kind, e.node_id): e for e in recorder.events}
    gone = by_key[("roadmap_item", item_id)]
    assert (gone.progress_after, gone.status_after) == (None, "")
    assert gone.progress_before == "0.0000"
    new = by_key[("roadmap_item", plan.item_a.pk)]
    assert (new.progress_before, new.status_before) == (None, "")
    assert new.progress_after == "0.0000"
    assert set(by_key) == {("roadmap_item", item_id), ("roadmap_item", plan.item_a.pk)}


def test_after_commit_subscribers_hear_only_once_the_refresh_commits(
    plan: Plan, django_capture_on_commit_callbacks
):
    rollups.recompute_all(plan.world.workspace)
    heard: list[RollupChanged] = []
    events.subscribe(RollupChanged, heard.append)
    try:
        task = plan.task(item=plan.item_a, estimate="2", category=C.DONE)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            rollups.refresh_ancestors_of_task(task.pk)
        assert heard == []  # not before commit (a rolled-back refresh never runs them)
        for callback in callbacks:
            callback()
    finally:
        events.unsubscribe(RollupChanged, heard.append)
    assert ("roadmap_item", plan.item_a.pk, "1.0000") in {
        (e.kind, e.node_id, e.progress_after) for e in heard
    }
