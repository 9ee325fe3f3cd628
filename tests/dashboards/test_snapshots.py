"""Daily snapshots of the rollups, and the backfill that replays history into past days."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboards import rollups, snapshots
from dashboards.models import Snapshot
from okrs.models import CheckIn, KeyResult, Objective
from readmodel.models import Rollup
from tasks.models import StateCategory as C
from tasks.models import TaskEvent
from tests.dashboards.conftest import Plan

pytestmark = pytest.mark.django_db


def noon(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def test_taking_a_snapshot_copies_every_rollup_once_per_day(plan: Plan, today):
    rollups.recompute_all(plan.world.workspace)
    snapshots.take(plan.world.workspace, day=today)
    snapshots.take(plan.world.workspace, day=today)
    assert Snapshot.objects.filter(day=today).count() == Rollup.objects.count() == 11


def test_daily_job_recomputes_before_it_snapshots(plan: Plan, today):
    plan.task(item=plan.item_a, estimate="4", category=C.DONE)
    snapshots.take_daily(plan.world.workspace, day=today)
    snap = Snapshot.objects.get(kind="roadmap_item", node_id=plan.item_a.pk, day=today)
    assert (snap.done_points, snap.progress, snap.source) == (Decimal("4"), Decimal("1"), "daily")


def test_backfill_replays_sprint_scope_and_done_per_day(plan: Plan, today):
    long_ago = noon(today - timedelta(days=30))
    Objective.objects.update(created_at=long_ago)
    KeyResult.objects.update(created_at=long_ago)
    task = plan.task(item=plan.item_a, estimate="5", category=C.DONE, sprint=plan.sprint)
    for days_ago, category in ((5, C.UNSTARTED), (2, C.DONE)):
        TaskEvent.objects.create(
            workspace=plan.world.workspace,
            task=task,
            kind="state",
            sprint=plan.sprint,
            estimate=Decimal("5"),
            state_category=category,
            created_at=noon(today - timedelta(days=days_ago)),
        )
    snapshots.backfill(plan.world.workspace, days=6, today=today)
    sprint = {
        s.day: (s.total_points, s.done_points)
        for s in Snapshot.objects.filter(kind="sprint", node_id=plan.sprint.pk)
    }
    assert sprint[today - timedelta(days=6)] == (Decimal("0"), Decimal("0"))
    assert sprint[today - timedelta(days=4)] == (Decimal("5"), Decimal("0"))
    assert sprint[today - timedelta(days=1)] == (Decimal("5"), Decimal("5"))
    kr = Snapshot.objects.get(
        kind="key_result", node_id=plan.from_work.pk, day=today - timedelta(days=1)
    )
    assert (kr.progress, kr.source) == (Decimal("1"), "backfill")


def test_backfill_uses_the_check_in_value_of_that_day(plan: Plan, today):
    long_ago = noon(today - timedelta(days=30))
    Objective.objects.update(created_at=long_ago)
    KeyResult.objects.update(created_at=long_ago)
    for days_ago, value in ((10, "20"), (3, "70")):
        CheckIn.objects.create(
            workspace=plan.world.workspace,
            key_result=plan.manual,
            value=Decimal(value),
            confidence=7,
            created_at=noon(today - timedelta(days=days_ago)),
        )
    snapshots.backfill(plan.world.workspace, days=5, today=today)
    values = dict(
        Snapshot.objects.filter(kind="key_result", node_id=plan.manual.pk).values_list(
            "day", "progress"
        )
    )
    assert values[today - timedelta(days=5)] == Decimal("0.2")
    assert values[today - timedelta(days=2)] == Decimal("0.7")


def test_backfill_command_reports_what_it_wrote(plan: Plan, capsys):
    call_command("backfill_snapshots", "--workspace", plan.world.workspace.slug, "--days", "3")
    out = capsys.readouterr().out
    assert out.startswith(f"{plan.world.workspace.slug}: ")
    assert out.endswith(" snapshots over 3 days\n")
    assert Snapshot.objects.values("day").distinct().count() == 3


def test_daily_snapshot_counts_the_active_sprints_tasks_per_state(plan: Plan, today):
    plan.task(item=plan.item_a, estimate="2", category=C.DONE, sprint=plan.sprint)
    plan.task(item=plan.item_a, estimate="3", category=C.STARTED, sprint=plan.sprint)
    plan.task(item=None, estimate="1", category=C.STARTED, sprint=plan.sprint)
    plan.task(item=None, estimate="1", category=C.CANCELED, sprint=plan.sprint)
    plan.task(item=None, estimate="5", category=C.UNSTARTED, sprint=plan.next_sprint)
    snapshots.take_daily(plan.world.workspace, day=today)
    active = Snapshot.objects.get(kind="sprint", node_id=plan.sprint.pk, day=today)
    assert active.state_counts == {"backlog": 0, "unstarted": 0, "started": 2, "done": 1}
    assert active.aligned_points == Decimal("5")  # item_a traces to an active KR
    planned = Snapshot.objects.get(kind="sprint", node_id=plan.next_sprint.pk, day=today)
    assert planned.state_counts == {}  # not running yet: no flow to draw


def test_backfill_replays_each_days_state_counts(plan: Plan, today):
    task = plan.task(item=None, estimate="5", category=C.DONE, sprint=plan.sprint)
    for days_ago, category in ((5, C.UNSTARTED), (3, C.STARTED), (1, C.DONE)):
        TaskEvent.objects.create(
            workspace=plan.world.workspace,
            task=task,
            kind="state",
            sprint=plan.sprint,
            estimate=Decimal("5"),
            state_category=category,
            created_at=noon(today - timedelta(days=days_ago)),
        )
    snapshots.backfill(plan.world.workspace, days=5, today=today)
    counts = {
        s.day: {k: v for k, v in s.state_counts.items() if v}
        for s in Snapshot.objects.filter(kind="sprint", node_id=plan.sprint.pk)
    }
    assert counts[today - timedelta(days=5)] == {"unstarted": 1}
    assert counts[today - timedelta(days=3)] == {"started": 1}
    assert counts[today - timedelta(days=2)] == {"started": 1}
    assert counts[today - timedelta(days=1)] == {"done": 1}
    assert Snapshot.objects.filter(kind="sprint", node_id=plan.next_sprint.pk).count() == 0
