"""Shared steps of the freshness tests: a sprint with history, a burst of changes, and what a
full recompute of findings and team metrics says."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from alignment.models import Workspace
from dashboards import drift, metrics, rollups
from dashboards.models import Finding, TeamMetrics
from roadmaps import services as roadmap_services
from tasks import services as task_services
from tasks.models import StateCategory as C
from tasks.models import Task
from tests.dashboards.conftest import Plan
from tests.factories.work import state_history

MOVES = 20


@dataclass
class Burst:
    movers: list[Task]  # in the active sprint since its start; the burst finishes them
    latecomer: Task  # in the backlog; the burst pulls it into the running sprint (scope added)


def sprint_with_history(plan: Plan) -> Burst:
    """Twenty 1-point tasks committed at the sprint's start, and an 8-point backlog task."""
    start = plan.sprint.started_at
    movers = []
    for _ in range(MOVES):
        task = plan.task(item=plan.item_a, estimate="1", category=C.UNSTARTED, sprint=plan.sprint)
        state_history(task, (start - timedelta(hours=1), plan.sprint.pk, "1", C.UNSTARTED))
        movers.append(task)
    latecomer = plan.task(item=plan.item_b, estimate="8", category=C.BACKLOG)
    state_history(latecomer, (start - timedelta(days=1), None, "8", C.BACKLOG))
    return Burst(movers=movers, latecomer=latecomer)


def full_recompute(workspace: Workspace) -> None:
    """The repair path, independent of the freshness queue: every rollup, metric and finding."""
    rollups.recompute_all(workspace)
    metrics.refresh_team_metrics(workspace)
    drift.refresh_findings(workspace)


def run_burst(plan: Plan, burst: Burst) -> None:
    """Twenty moves to done, a link, scope pulled into the running sprint, a task created in it."""
    member = plan.world.member
    for task in burst.movers:
        task_services.task_transition(actor=member, task=task, to_state=plan.states[C.DONE])
    roadmap_services.roadmap_item_link_key_result(
        actor=member, item=plan.item_loose, key_result=plan.manual
    )
    task_services.task_update(actor=member, task=burst.latecomer, sprint=plan.sprint)
    task_services.task_create(
        actor=member, team=plan.team, title="Hotfix the login", estimate=3, sprint=plan.sprint
    )


def findings_of(workspace: Workspace) -> list[tuple[Any, ...]]:
    return sorted(
        (
            f.code,
            f.severity,
            f.subject_kind,
            f.subject_id,
            f.team_id,
            json.dumps(f.numbers, sort_keys=True),
            json.dumps(f.evidence),
        )
        for f in Finding.objects.filter(workspace=workspace)
    )


def metrics_of(workspace: Workspace) -> dict[int, dict[str, Any]]:
    """Every team's stored metrics without their timestamp."""
    return {
        team_id: {k: v for k, v in data.items() if k != "computed_at"}
        for team_id, data in TeamMetrics.objects.filter(workspace=workspace).values_list(
            "team_id", "data"
        )
    }


def sprint_flow(plan: Plan) -> dict[str, Any]:
    data = TeamMetrics.objects.get(team=plan.team).data
    return next(f for f in data["sprints"] if f["sprint_id"] == plan.sprint.pk)


def has_finding(plan: Plan, code: str, subject_id: int) -> bool:
    return Finding.objects.filter(
        workspace=plan.world.workspace, code=code, subject_id=subject_id
    ).exists()


def points(value: Any) -> Decimal:
    return Decimal(str(value))
