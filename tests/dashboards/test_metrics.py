"""Team metrics from task history, and the DORA measures placed in the published tiers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards import metrics
from dashboards.models import Deployment, DoraBenchmark, Incident, TeamMetrics
from tasks.models import SprintStatus
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan
from tests.factories.work import SprintFactory
from tests.factories.work import sprint_day as at  # short: histories read as a table
from tests.factories.work import state_history as history

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_sprint(plan: Plan):
    return SprintFactory(
        team=plan.team,
        name="Closed",
        start_date=at(0).date(),
        end_date=at(13).date(),
        status=SprintStatus.CLOSED,
        started_at=at(0, 9),
        closed_at=at(13, 17),
    )


def test_sprint_flow_separates_committed_completed_added_and_carried(plan: Plan, closed_sprint):
    s = closed_sprint.pk
    committed_done, committed_open, added, left = (
        plan.task(item=None, estimate="1", category=C.DONE) for _ in range(4)
    )
    history(committed_done, (at(-1), s, "3", C.UNSTARTED), (at(5), s, "3", C.DONE))
    history(
        committed_open,
        (at(-1), s, "5", C.UNSTARTED),
        (at(13, 17), None, "5", C.UNSTARTED),
    )
    history(
        added,
        (at(-3), None, "2", C.BACKLOG),
        (at(4), s, "2", C.UNSTARTED),
        (at(8), s, "2", C.DONE),
    )
    history(left, (at(-1), s, "8", C.UNSTARTED), (at(2), None, "8", C.UNSTARTED))
    histories = metrics._histories([committed_done.pk, committed_open.pk, added.pk, left.pk])
    flow = metrics.sprint_flow(closed_sprint, histories, now=at(20))
    assert (flow.committed_points, flow.committed_count) == (16.0, 3)
    assert (flow.completed_points, flow.completed_count) == (5.0, 2)
    assert (flow.added_points, flow.added_count) == (2.0, 1)
    assert (flow.carried_points, flow.carried_count) == (5.0, 1)


def test_burn_series_reads_scope_and_done_at_the_end_of_each_day(plan: Plan, closed_sprint):
    task = plan.task(item=None, estimate="1", category=C.DONE)
    history(
        task,
        (at(-1), closed_sprint.pk, "4", C.UNSTARTED),
        (at(1), closed_sprint.pk, "4", C.DONE),
    )
    series = metrics.burn_series(closed_sprint, metrics._histories([task.pk]), today=at(30).date())
    assert [(d["scope"], d["done"]) for d in series[:3]] == [(4.0, 0.0), (4.0, 4.0), (4.0, 4.0)]
    assert len(series) == 14


def test_percentiles_interpolate_between_values():
    assert metrics.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert metrics.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.85) == 9.5
    assert metrics.percentile([], 0.5) is None


@pytest.mark.parametrize(
    ("metric", "value", "tier"),
    [
        ("deployment_frequency", 3.0, "elite"),
        ("deployment_frequency", 0.2, "high"),
        ("deployment_frequency", 0.01, "low"),
        ("lead_time", 72.0, "high"),
        ("lead_time", 500.0, "medium"),
        ("change_failure_rate", 0.12, "medium"),  # nearest 2024 cluster value: 10%
        ("change_failure_rate", 0.18, "high"),  # nearest: 20%
        ("time_to_restore", 0.5, "elite"),
        ("time_to_restore", 72.0, "low"),
    ],
)
def test_values_are_placed_in_the_dora_2024_tiers(metric, value, tier):
    placement = metrics.place(metric, value, list(DoraBenchmark.objects.filter(year=2024)))
    assert placement is not None
    assert (placement.tier, placement.year) == (tier, 2024)


def test_dora_measures_come_from_deployments_and_incidents(plan: Plan):
    now = timezone.now()
    deploys = [
        Deployment.objects.create(
            workspace=plan.world.workspace,
            team=plan.team,
            deployed_at=now - timedelta(days=d),
            committed_at=now - timedelta(days=d, hours=10),
        )
        for d in range(1, 11)
    ]
    Incident.objects.create(
        workspace=plan.world.workspace,
        team=plan.team,
        deployment=deploys[0],
        title="Outage",
        started_at=now - timedelta(hours=5),
        resolved_at=now - timedelta(hours=3),
    )
    data = metrics.team_metrics(plan.team, now=now)["dora"]
    assert data["deployment_frequency"] == {
        "value": round(10 / 30, 4),
        "tier": "high",
        "tier_label": "Between once a day and once a week",
    }
    assert (data["lead_time"]["value"], data["lead_time"]["tier"]) == (10.0, "elite")
    assert (data["change_failure_rate"]["value"], data["change_failure_rate"]["tier"]) == (
        0.1,
        "medium",
    )
    assert (data["time_to_restore"]["value"], data["time_to_restore"]["tier"]) == (2.0, "high")
    assert data["benchmark"]["report"] == "Accelerate State of DevOps Report 2024"


def test_refresh_stores_one_metrics_row_per_team(plan: Plan):
    assert metrics.refresh_team_metrics(plan.world.workspace) == 1
    stored = TeamMetrics.objects.get(team=plan.team)
    assert stored.data["wip"] == {"count": 0, "points": 0.0, "limit": None}
