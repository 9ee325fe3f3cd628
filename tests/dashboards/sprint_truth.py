"""Helpers of the sprint-truth tests: every surface's sprint numbers, side by side.

A surface's numbers are reduced to {name: (count, points)} for committed, added after start,
completed and carried over, so one `==` says whether sprint close, the sprint API, team metrics
and the burndown agree.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.test import Client

from dashboards import metrics
from tasks.models import Sprint
from tasks.sprint_scope import SprintScope, sprint_report

Numbers = dict[str, tuple[int, float]]
NAMES = ("committed", "added", "completed", "carried")


def from_scope(scope: SprintScope) -> Numbers:
    carried = scope.carried_over if scope.status == "closed" else scope.open
    return {
        "committed": (scope.committed.count, float(scope.committed.points)),
        "added": (scope.added.count, float(scope.added.points)),
        "completed": (scope.completed.count, float(scope.completed.points)),
        "carried": (carried.count, float(carried.points)),
    }


def from_api(body: dict[str, Any]) -> Numbers:
    """The sprint API's `scope` object (GET …/scope/ or the close response's `scope`)."""
    carried = body["carried_over"] if body["status"] == "closed" else body["open"]
    return {
        "committed": (body["committed"]["count"], body["committed"]["points"]),
        "added": (body["added_after_start"]["count"], body["added_after_start"]["points"]),
        "completed": (body["completed"]["count"], body["completed"]["points"]),
        "carried": (carried["count"], carried["points"]),
    }


def from_flow(flow: dict[str, Any]) -> Numbers:
    """One sprint of team metrics (what the team dashboard and its API show)."""
    carried = "carried" if flow["status"] == "closed" else "open"
    return {
        "committed": (flow["committed_count"], flow["committed_points"]),
        "added": (flow["added_count"], flow["added_points"]),
        "completed": (flow["completed_count"], flow["completed_points"]),
        "carried": (flow[f"{carried}_count"], flow[f"{carried}_points"]),
    }


def team_flow(sprint: Sprint, *, now: datetime) -> dict[str, Any]:
    data = metrics.team_metrics(sprint.team, now=now, benchmarks=[])
    return next(f for f in data["sprints"] if f["sprint_id"] == sprint.pk)


def burndown_end(sprint: Sprint, *, now: datetime) -> tuple[float, float, float]:
    """(scope, done, remaining) points on the burndown's last day."""
    _, days = sprint_report(sprint, as_of=now)
    last = days[-1]
    return last["scope"], last["done"], last["remaining"]


def close_through_api(client: Client, base: str, sprint: Sprint, body: dict) -> dict[str, Any]:
    response = client.post(
        f"{base}/sprints/{sprint.pk}/close/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def scope_through_api(client: Client, base: str, sprint: Sprint) -> dict[str, Any]:
    response = client.get(f"{base}/sprints/{sprint.pk}/scope/")
    assert response.status_code == 200, response.content
    return response.json()
