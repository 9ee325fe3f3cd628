"""Writes of the dashboards app: deployments and incidents (DORA inputs). One transaction each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.audit import audit_by, audit_change, audit_created, audited_delete, snapshot
from alignment.errors import FieldErrors
from alignment.guards import ensure_same_workspace, require_role
from alignment.models import Membership, Role, Team
from dashboards.models import Deployment, Incident
from dashboards.rollups import queue

UNSET: Any = object()


def _text(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise FieldErrors({field: "This field is required."})
    if len(text) > max_length:
        raise FieldErrors({field: f"Use at most {max_length} characters."})
    return text


def _not_future(value: datetime | None, field: str) -> None:
    if value is not None and value > timezone.now() + timedelta(minutes=5):
        raise FieldErrors({field: "This time is in the future."})


@transaction.atomic
def deployment_create(
    *,
    actor: Membership,
    team: Team,
    deployed_at: datetime,
    committed_at: datetime | None = None,
    environment: str = "production",
    reference: str = "",
    description: str = "",
    is_failure: bool = False,
) -> Deployment:
    """Record a release of a team's work (a DORA input)."""
    require_role(actor, Role.MEMBER)
    ensure_same_workspace(actor, team, what="That team")
    _not_future(deployed_at, "deployed_at")
    if committed_at is not None and committed_at > deployed_at:
        raise FieldErrors({"committed_at": "The first commit must come before the deployment."})
    deployment = Deployment.objects.create(
        workspace_id=actor.workspace_id,
        team=team,
        deployed_at=deployed_at,
        committed_at=committed_at,
        environment=_text(environment, "environment", 40) or "production",
        reference=_text(reference, "reference", 100),
        description=_text(description, "description", 255),
        is_failure=bool(is_failure),
    )
    audit_created(
        actor,
        verb="deployment.created",
        obj=deployment,
        fields=["team", "deployed_at", "reference", "is_failure"],
    )
    queue.schedule_metrics(actor.workspace_id, [team.pk])
    return deployment


@transaction.atomic
def deployment_mark_failure(
    *, actor: Membership, deployment: Deployment, is_failure: bool
) -> Deployment:
    """Say whether a deployment caused a failure needing remediation."""
    require_role(actor, Role.MEMBER)
    ensure_same_workspace(actor, deployment, what="That deployment")
    before = snapshot(deployment, ["is_failure"])
    Deployment.objects.filter(pk=deployment.pk).update(is_failure=bool(is_failure))
    deployment.is_failure = bool(is_failure)
    audit_by(
        actor,
        verb="deployment.updated",
        obj=deployment,
        before=before,
        after={"is_failure": deployment.is_failure},
    )
    queue.schedule_metrics(actor.workspace_id, [deployment.team_id])
    return deployment


@transaction.atomic
def deployment_delete(*, actor: Membership, deployment: Deployment) -> None:
    """Remove a deployment entered by mistake (admins)."""
    require_role(actor, Role.ADMIN)
    ensure_same_workspace(actor, deployment, what="That deployment")
    audited_delete(
        actor,
        verb="deployment.deleted",
        obj=deployment,
        fields=["team", "deployed_at", "reference"],
    )
    queue.schedule_metrics(actor.workspace_id, [deployment.team_id])


@transaction.atomic
def incident_create(
    *,
    actor: Membership,
    team: Team,
    title: str,
    started_at: datetime,
    resolved_at: datetime | None = None,
    deployment: Deployment | None = None,
) -> Incident:
    """Record a production failure, optionally caused by a deployment."""
    require_role(actor, Role.MEMBER)
    ensure_same_workspace(actor, team, what="That team")
    ensure_same_workspace(actor, deployment, what="That deployment")
    _not_future(started_at, "started_at")
    if resolved_at is not None and resolved_at < started_at:
        raise FieldErrors({"resolved_at": "An incident is resolved after it starts."})
    incident = Incident.objects.create(
        workspace_id=actor.workspace_id,
        team=team,
        title=_text(title, "title", 200, required=True),
        started_at=started_at,
        resolved_at=resolved_at,
        deployment=deployment,
    )
    audit_created(
        actor,
        verb="incident.created",
        obj=incident,
        fields=["team", "title", "started_at", "resolved_at", "deployment"],
    )
    queue.schedule_metrics(actor.workspace_id, [team.pk])
    return incident


@transaction.atomic
def incident_update(
    *,
    actor: Membership,
    incident: Incident,
    title: Any = UNSET,
    resolved_at: Any = UNSET,
) -> Incident:
    """Rename an incident or record when service was restored (None reopens it)."""
    require_role(actor, Role.MEMBER)
    ensure_same_workspace(actor, incident, what="That incident")
    before = snapshot(incident, ["title", "resolved_at"])
    if title is not UNSET:
        incident.title = _text(title, "title", 200, required=True)
    if resolved_at is not UNSET:
        if resolved_at is not None and resolved_at < incident.started_at:
            raise FieldErrors({"resolved_at": "An incident is resolved after it starts."})
        incident.resolved_at = resolved_at
    incident.save(update_fields=["title", "resolved_at"])
    audit_change(
        actor, verb="incident.updated", obj=incident, before=before, fields=["title", "resolved_at"]
    )
    queue.schedule_metrics(actor.workspace_id, [incident.team_id])
    return incident


@transaction.atomic
def incident_delete(*, actor: Membership, incident: Incident) -> None:
    """Remove an incident entered by mistake (admins)."""
    require_role(actor, Role.ADMIN)
    ensure_same_workspace(actor, incident, what="That incident")
    audited_delete(
        actor, verb="incident.deleted", obj=incident, fields=["team", "title", "started_at"]
    )
    queue.schedule_metrics(actor.workspace_id, [incident.team_id])


# ---- reported by a provider (integrations' deployment deliveries) ------------------------
# No person acts: the delivery was verified by its signature. Rows are keyed by (source,
# external_id, team), so a redelivered or repeated status changes nothing. The caller
# schedules the team metrics once for the whole delivery.


def _reported_deployments(*, team: Team, source: str, external_id: str) -> Any:
    return Deployment.objects.for_workspace(team.workspace_id).filter(
        team=team, source=source, external_id=external_id[:200]
    )


@transaction.atomic
def deployment_report(
    *,
    team: Team,
    source: str,
    external_id: str,
    deployed_at: datetime,
    committed_at: datetime | None,
    environment: str,
    reference: str,
    description: str,
    is_failure: bool,
) -> tuple[Deployment, bool]:
    """The deployment a provider reported (the first report's time and fields stay); True
    when it is new."""
    return Deployment.objects.get_or_create(
        workspace_id=team.workspace_id,
        team=team,
        source=source,
        external_id=external_id[:200],
        defaults={
            "deployed_at": deployed_at,
            "committed_at": committed_at,
            "environment": environment[:40],
            "reference": reference[:100],
            "description": description[:255],
            "is_failure": is_failure,
        },
    )


@transaction.atomic
def deployment_report_failure(*, team: Team, source: str, external_id: str) -> None:
    """A reported deployment turned out to fail (a later status of the same deployment)."""
    _reported_deployments(team=team, source=source, external_id=external_id).update(is_failure=True)


@transaction.atomic
def incidents_report_restored(*, team: Team, source: str, environment: str, at: datetime) -> None:
    """Production is restored: the team's open incidents from this source in `environment`
    that started by `at` are resolved at `at`."""
    Incident.objects.for_workspace(team.workspace_id).filter(
        team=team,
        source=source,
        resolved_at__isnull=True,
        started_at__lte=at,
        deployment__environment__iexact=environment,
    ).update(resolved_at=at)


@transaction.atomic
def incident_report(
    *,
    team: Team,
    source: str,
    external_id: str,
    deployment: Deployment,
    title: str,
    started_at: datetime,
) -> Incident:
    """The incident a failed deployment starts, once per deployment."""
    incident, _ = Incident.objects.get_or_create(
        workspace_id=team.workspace_id,
        team=team,
        source=source,
        external_id=external_id[:200],
        defaults={"deployment": deployment, "title": title[:200], "started_at": started_at},
    )
    return incident
