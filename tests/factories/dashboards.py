"""Samples of the dashboards' models for the route matrices (tests/matrix.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db.models import Model
from django.utils import timezone

from alignment.models import Team
from dashboards.models import Deployment, Finding, Incident, Snapshot, TeamMetrics
from readmodel.models import Forecast, Rollup
from tasks.models import Sprint


def dashboards_samples() -> dict[type[Model], Callable[[Any], Any]]:
    """MODEL_SAMPLES entries: one row of each dashboards model in `objects.workspace`."""

    def deployment(objects: Any) -> Deployment:
        now = timezone.now()
        return Deployment.objects.create(
            workspace=objects.workspace,
            team=objects[Team],
            deployed_at=now - timedelta(hours=1),
            committed_at=now - timedelta(hours=5),
            reference="v1.2.3",
        )

    return {
        Rollup: lambda objects: Rollup.objects.create(
            workspace=objects.workspace, kind="team", node_id=objects[Team].pk
        ),
        Finding: lambda objects: Finding.objects.create(
            workspace=objects.workspace,
            code="scope_added",
            severity="at_risk",
            subject_kind="team",
            subject_id=objects[Team].pk,
            team=objects[Team],
        ),
        TeamMetrics: lambda objects: TeamMetrics.objects.create(
            workspace=objects.workspace, team=objects[Team], data={}
        ),
        Snapshot: lambda objects: Snapshot.objects.create(
            workspace=objects.workspace,
            kind="team",
            node_id=objects[Team].pk,
            day=timezone.localdate(),
        ),
        # A forecast of the sample team's sprint: it hides with the team like the sprint.
        Forecast: lambda objects: Forecast.objects.create(
            workspace=objects.workspace,
            kind="sprint",
            node_id=objects[Sprint].pk,
            day=timezone.localdate(),
            status="not_enough_history",
        ),
        Deployment: deployment,
        Incident: lambda objects: Incident.objects.create(
            workspace=objects.workspace,
            team=objects[Team],
            deployment=objects[Deployment],
            title="Checkout down",
            started_at=timezone.now() - timedelta(minutes=50),
        ),
    }
