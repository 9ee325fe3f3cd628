"""Domain events → the coalescing queue → the refresh job, only after commit."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction

from dashboards import rollups
from dashboards.models import RollupPending
from dashboards.rollups import queue
from okrs import services as okr_services
from readmodel.models import Rollup
from roadmaps import services as roadmap_services
from tasks import services as task_services
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan

pytestmark = pytest.mark.django_db


def row(kind: str, node_id: int) -> Rollup:
    return Rollup.objects.get(kind=kind, node_id=node_id)


def test_moving_the_last_open_task_to_done_updates_item_kr_and_objective(
    plan: Plan, django_capture_on_commit_callbacks
):
    plan.task(item=plan.item_a, estimate="2", category=C.DONE)
    last = plan.task(item=plan.item_a, estimate="2", category=C.STARTED)
    rollups.recompute_all(plan.world.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=plan.world.member, task=last, to_state=plan.states[C.DONE]
        )
    assert row("roadmap_item", plan.item_a.pk).progress == Decimal("1.0000")
    assert row("key_result", plan.from_work.pk).progress == Decimal("1.0000")
    # (2 × 1.0 + 1 × 0.5) / 3
    assert row("objective", plan.company.pk).progress == Decimal("0.8333")


def test_nothing_is_recomputed_when_the_write_rolls_back(plan: Plan):
    task = plan.task(item=plan.item_a, estimate="2", category=C.STARTED)
    rollups.recompute_all(plan.world.workspace)
    before = row("roadmap_item", plan.item_a.pk).progress

    marked_inside: list[bool] = []

    # The stale marks are written inside the change's transaction, so they roll back with it,
    # and no job is sent (on_commit never fires).
    with transaction.atomic():
        task_services.task_transition(
            actor=plan.world.member, task=task, to_state=plan.states[C.DONE]
        )
        marked_inside.append(RollupPending.objects.exists())
        transaction.set_rollback(True)

    assert marked_inside == [True]  # marked with the change...
    assert not RollupPending.objects.exists()  # ...and gone with it
    assert row("roadmap_item", plan.item_a.pk).progress == before


def test_moving_a_task_without_an_item_refreshes_the_sprint_it_left(
    plan: Plan, django_capture_on_commit_callbacks
):
    task = plan.task(item=None, estimate="5", category=C.UNSTARTED, sprint=plan.sprint)
    rollups.recompute_all(plan.world.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_update(actor=plan.world.member, task=task, sprint=plan.next_sprint)
    assert row("sprint", plan.sprint.pk).total_points == Decimal("0")
    assert row("sprint", plan.next_sprint.pk).total_points == Decimal("5")
    assert row("team", plan.team.pk).total_points == Decimal("0")


def test_unlinking_an_item_refreshes_the_kr_it_used_to_feed(
    plan: Plan, django_capture_on_commit_callbacks
):
    plan.task(item=plan.item_a, estimate="2", category=C.DONE)
    plan.task(item=plan.item_b, estimate="2", category=C.UNSTARTED)
    rollups.recompute_all(plan.world.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        roadmap_services.roadmap_item_unlink_key_result(
            actor=plan.world.member, item=plan.item_a, key_result=plan.from_work
        )
    assert row("key_result", plan.from_work.pk).progress == Decimal("0.0000")


def test_reparenting_refreshes_the_old_parent_key_result(
    plan: Plan, django_capture_on_commit_callbacks
):
    rollups.recompute_all(plan.world.workspace)
    assert row("key_result", plan.from_teams.pk).progress == Decimal("0.5000")
    with django_capture_on_commit_callbacks(execute=True):
        okr_services.objective_reparent(
            actor=plan.world.member,
            objective=plan.team_objective,
            parent=plan.company,
            parent_key_result=None,
        )
    kr = row("key_result", plan.from_teams.pk)
    assert (kr.progress, kr.reasons[-1]["code"]) == (Decimal("0.0000"), "no_aligned_objectives")


def test_merging_a_task_refreshes_the_item_of_the_deleted_source(
    plan: Plan, django_capture_on_commit_callbacks
):
    source = plan.task(item=plan.item_b, estimate="3", category=C.UNSTARTED)
    into = plan.task(item=plan.item_a, estimate="1", category=C.DONE)
    rollups.recompute_all(plan.world.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_merge(actor=plan.world.member, source=source, into=into)
    assert row("roadmap_item", plan.item_b.pk).total_count == 0


def test_a_burst_of_moves_queues_one_job_and_one_row_per_node(
    plan: Plan, django_capture_on_commit_callbacks
):
    tasks = [
        plan.task(item=plan.item_a, estimate="1", category=C.UNSTARTED, sprint=plan.sprint)
        for _ in range(40)
    ]
    with (
        mock.patch("dashboards.tasks.rollups_refresh_pending.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        for task in tasks:
            task_services.task_transition(
                actor=plan.world.member, task=task, to_state=plan.states[C.DONE]
            )
    send.assert_called_once_with(
        kwargs={"workspace_id": plan.world.workspace.pk}, countdown=queue.COALESCE_SECONDS
    )
    pending = set(RollupPending.objects.values_list("kind", "node_id"))
    assert pending == {("task", t.pk) for t in tasks} | {("roadmap_item", plan.item_a.pk)}


def test_draining_the_queue_recomputes_and_empties_it(plan: Plan):
    task = plan.task(item=plan.item_a, estimate="4", category=C.DONE, sprint=plan.sprint)
    queue.mark(plan.world.workspace.pk, [("task", task.pk)])
    queue.drain(plan.world.workspace.pk)
    assert row("roadmap_item", plan.item_a.pk).done_points == Decimal("4")
    assert row("sprint", plan.sprint.pk).done_points == Decimal("4")
    assert not RollupPending.objects.exists()


def test_beat_runs_the_dashboards_jobs_from_settings(settings):
    from alignment.celery import app

    entries = {name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    assert entries["dashboards-snapshots-tick"] == "dashboards.snapshots_tick"
    assert entries["dashboards-rollups-sweep"] == "dashboards.rollups_sweep"
    app.loader.import_default_modules()
    assert {
        "dashboards.snapshots_tick",
        "dashboards.workspace_snapshot",
        "dashboards.snapshots_daily",
        "dashboards.rollups_sweep",
    } <= set(app.tasks)
