"""Writes of the dashboards app: deployments and incidents (DORA inputs). One transaction each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.audit import audit_by, snapshot
from alignment.errors import CrossWorkspaceLink, FieldErrors, RoleRequired
from alignment.models import Membership, Role, Team
from dashboards import queue
from dashboards.models import Deployment, Incident

UNSET: Any = object()


def _require(actor: Membership, role: str) -> None:
    if not actor.has_role(role):
        raise RoleRequired(role=Role(role).label.lower())


def _in_workspace(actor: Membership, obj: Any, what: str) -> None:
    if obj is not None and obj.workspace_id != actor.workspace_id:
        raise CrossWorkspaceLink(what=what)


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
    _require(actor, Role.MEMBER)
    _in_workspace(actor, team, "That team")
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
    audit_by(
        actor,
        verb="deployment.created",
        obj=deployment,
        after=snapshot(deployment, ["team", "deployed_at", "reference", "is_failure"]),
    )
    queue.schedule_metrics(actor.workspace_id, [team.pk])
    return deployment


@transaction.atomic
def deployment_mark_failure(
    *, actor: Membership, deployment: Deployment, is_failure: bool
) -> Deployment:
    """Say whether a deployment caused a failure needing remediation."""
    _require(actor, Role.MEMBER)
    _in_workspace(actor, deployment, "That deployment")
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
    _require(actor, Role.ADMIN)
    _in_workspace(actor, deployment, "That deployment")
    audit_by(
        actor,
        verb="deployment.deleted",
        obj=deployment,
        before=snapshot(deployment, ["team", "deployed_at", "reference"]),
    )
    deployment.delete()
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
    _require(actor, Role.MEMBER)
    _in_workspace(actor, team, "That team")
    _in_workspace(actor, deployment, "That deployment")
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
    audit_by(
        actor,
        verb="incident.created",
        obj=incident,
        after=snapshot(incident, ["team", "title", "started_at", "resolved_at", "deployment"]),
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
    _require(actor, Role.MEMBER)
    _in_workspace(actor, incident, "That incident")
    before = snapshot(incident, ["title", "resolved_at"])
    if title is not UNSET:
        incident.title = _text(title, "title", 200, required=True)
    if resolved_at is not UNSET:
        if resolved_at is not None and resolved_at < incident.started_at:
            raise FieldErrors({"resolved_at": "An incident is resolved after it starts."})
        incident.resolved_at = resolved_at
    incident.save(update_fields=["title", "resolved_at"])
    audit_by(
        actor,
        verb="incident.updated",
        obj=incident,
        before=before,
        after=snapshot(incident, ["title", "resolved_at"]),
    )
    queue.schedule_metrics(actor.workspace_id, [incident.team_id])
    return incident


@transaction.atomic
def incident_delete(*, actor: Membership, incident: Incident) -> None:
    """Remove an incident entered by mistake (admins)."""
    _require(actor, Role.ADMIN)
    _in_workspace(actor, incident, "That incident")
    audit_by(
        actor,
        verb="incident.deleted",
        obj=incident,
        before=snapshot(incident, ["team", "title", "started_at"]),
    )
    incident.delete()
    queue.schedule_metrics(actor.workspace_id, [incident.team_id])
