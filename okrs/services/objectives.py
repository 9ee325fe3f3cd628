"""Objectives: create, edit, align under a parent, archive, comment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from alignment import events
from alignment.audit import audit_by, audit_change, audit_created, snapshot
from alignment.errors import FieldErrors
from alignment.guards import ensure_same_workspace, require_role
from alignment.models import Membership, Role, Team, User
from alignment.versioning import versioned_update
from okrs.errors import AlignmentCycle
from okrs.events import ObjectiveChanged
from okrs.models import (
    KeyResult,
    KeyResultSource,
    Objective,
    ObjectiveComment,
    ObjectiveLevel,
    ObjectiveStatus,
    Period,
)
from okrs.services._common import (
    UNSET,
    clean_title,
    ensure_member,
    ensure_objective_open,
    ensure_period_open,
    to_weight,
)

OBJECTIVE_FIELDS = [
    "title",
    "description",
    "level",
    "team",
    "owner",
    "status",
    "weight",
    "period",
    "parent",
    "parent_key_result",
]
EDITABLE_STATUSES = (ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE)
MAX_DESCRIPTION = 10_000


def _check_level(actor: Membership, level: str, team: Team | None) -> None:
    if level not in ObjectiveLevel.values:
        raise FieldErrors({"level": f"Choose one of: {', '.join(ObjectiveLevel.values)}."})
    if level == ObjectiveLevel.COMPANY:
        require_role(actor, Role.ADMIN)
    if level == ObjectiveLevel.TEAM and team is None:
        raise FieldErrors({"team": "A team objective needs a team."})


def _clean_description(value: Any) -> str:
    text = str(value or "")
    if len(text) > MAX_DESCRIPTION:
        raise FieldErrors({"description": f"Keep it to {MAX_DESCRIPTION} characters."})
    return text


def _resolve_alignment(
    actor: Membership,
    objective: Objective | None,
    period: Period,
    parent: Objective | None,
    parent_key_result: KeyResult | None,
) -> tuple[Objective | None, KeyResult | None]:
    """Check a (parent, parent KR) pair for an objective in `period`; returns the pair to store.

    A parent KR implies its objective as the parent. The parent lives in the same workspace,
    is not archived, is in the same or an enclosing period, and is not a descendant.
    """
    ensure_same_workspace(
        actor, parent_key_result, what="The parent key result", field="parent_key_result"
    )
    if parent_key_result is not None:
        if parent is not None and parent.pk != parent_key_result.objective_id:
            raise FieldErrors(
                {
                    "parent_key_result": (
                        f"Pick a key result of “{parent.title}”, the objective this one is "
                        "aligned under, or leave it empty to count there directly."
                    )
                }
            )
        if parent_key_result.source != KeyResultSource.CHILDREN:
            raise FieldErrors(
                {
                    "parent_key_result": (
                        f"“{parent_key_result.title}” is measured by "
                        f"{KeyResultSource(parent_key_result.source).label.lower()}, so an "
                        "objective cannot count in it. Pick a key result measured by aligned "
                        "objectives, or leave it empty to count in the objective directly."
                    )
                }
            )
        parent = parent_key_result.objective
    ensure_same_workspace(actor, parent, what="The parent objective", field="parent")
    if parent is None:
        return None, None
    if parent.status == ObjectiveStatus.ARCHIVED:
        raise FieldErrors({"parent": "That objective is archived; align to a live one."})
    if objective is not None and objective.pk is not None:
        _ensure_no_cycle(objective, parent)
    if not (parent.period.start <= period.start and parent.period.end >= period.end):
        raise FieldErrors(
            {
                "parent": (
                    f"“{parent.title}” is in {parent.period.name}, which does not cover "
                    f"{period.name}; align to an objective of the same or an enclosing period."
                )
            }
        )
    return parent, parent_key_result


def _ensure_no_cycle(objective: Objective, parent: Objective) -> None:
    if parent.pk == objective.pk:
        raise AlignmentCycle(objective=objective.title, parent=parent.title)
    # One query for the workspace's parent links, then walk up from the new parent.
    parent_of = dict(
        Objective.objects.for_workspace(objective.workspace_id).values_list("pk", "parent_id")
    )
    seen: set[int] = set()
    node: int | None = parent.pk
    while node is not None and node not in seen:
        if node == objective.pk:
            raise AlignmentCycle(objective=objective.title, parent=parent.title)
        seen.add(node)
        node = parent_of.get(node)


def _publish(actor: Membership, objective: Objective, verb: str) -> None:
    events.publish_on_commit(
        ObjectiveChanged(
            workspace_id=objective.workspace_id,
            objective_id=objective.pk,
            verb=verb,
            actor_id=actor.user_id,
        )
    )


@transaction.atomic
def objective_create(
    *,
    actor: Membership,
    period: Period,
    title: str,
    description: str = "",
    level: str = ObjectiveLevel.TEAM,
    team: Team | None = None,
    owner: User | None = None,
    parent: Objective | None = None,
    parent_key_result: KeyResult | None = None,
    status: str = ObjectiveStatus.ACTIVE,
    weight: Decimal | float | int = 1,
) -> Objective:
    """Create an objective in an open period (company level needs an admin)."""
    require_role(actor, Role.MEMBER)
    ensure_same_workspace(actor, period, what="The period", field="period")
    ensure_same_workspace(actor, team, what="The team", field="team")
    ensure_member(actor, owner)
    ensure_period_open(period)
    _check_level(actor, level, team)
    if status not in EDITABLE_STATUSES:
        raise FieldErrors({"status": "A new objective is a draft or active."})
    parent, parent_key_result = _resolve_alignment(actor, None, period, parent, parent_key_result)
    objective = Objective.objects.create(
        workspace=actor.workspace,
        period=period,
        title=clean_title(title),
        description=_clean_description(description),
        level=level,
        team=team,
        owner=owner,
        parent=parent,
        parent_key_result=parent_key_result,
        status=status,
        weight=to_weight(weight),
    )
    audit_created(actor, verb="objective.created", obj=objective, fields=OBJECTIVE_FIELDS)
    _publish(actor, objective, "created")
    return objective


def _status_fields(status: Any) -> dict[str, Any]:
    if status is UNSET:
        return {}
    if status not in EDITABLE_STATUSES:
        raise FieldErrors(
            {"status": "Set draft or active here; archive or close the period instead."}
        )
    return {"status": status}


def _content_fields(
    actor: Membership, *, title: Any, description: Any, weight: Any, owner: Any
) -> dict[str, Any]:
    """The title, description, weight and owner edits, cleaned (the owner must be a member)."""
    fields: dict[str, Any] = {}
    if title is not UNSET:
        fields["title"] = clean_title(title)
    if description is not UNSET:
        fields["description"] = _clean_description(description)
    if weight is not UNSET:
        fields["weight"] = to_weight(weight)
    if owner is not UNSET:
        ensure_member(actor, owner)
        fields["owner"] = owner
    return fields


def _level_fields(
    actor: Membership, objective: Objective, *, level: Any, team: Any
) -> dict[str, Any]:
    """A level or team edit; moving a company objective, or to company level, needs an admin."""
    new_team = objective.team if team is UNSET else team
    new_level = objective.level if level is UNSET else level
    ensure_same_workspace(actor, new_team, what="The team", field="team")
    if level is UNSET and team is UNSET:
        return {}
    if objective.level == ObjectiveLevel.COMPANY:
        require_role(actor, Role.ADMIN)
    _check_level(actor, new_level, new_team)
    return {"level": new_level, "team": new_team}


def _kept_parent_key_result(objective: Objective, parent: Any, parent_key_result: Any) -> Any:
    """The parent key result after the edit: aligned elsewhere, the old one no longer applies."""
    kept_kr = objective.parent_key_result if parent_key_result is UNSET else parent_key_result
    if (
        parent_key_result is UNSET
        and parent is not UNSET
        and kept_kr is not None
        and (parent is None or kept_kr.objective_id != parent.pk)
    ):
        return None
    return kept_kr


def _alignment_fields(
    actor: Membership,
    objective: Objective,
    *,
    new_period: Period,
    period: Any,
    parent: Any,
    parent_key_result: Any,
) -> dict[str, Any]:
    """The parent and parent key result after a period or alignment edit (None detaches)."""
    if period is UNSET and parent is UNSET and parent_key_result is UNSET:
        return {}
    new_parent, new_parent_kr = _resolve_alignment(
        actor,
        objective,
        new_period,
        objective.parent if parent is UNSET else parent,
        _kept_parent_key_result(objective, parent, parent_key_result),
    )
    if parent is not UNSET and parent is None:
        new_parent, new_parent_kr = None, None
    return {"parent": new_parent, "parent_key_result": new_parent_kr}


def _new_period(actor: Membership, objective: Objective, period: Any) -> Period:
    if period is UNSET:
        return objective.period
    ensure_same_workspace(actor, period, what="The period", field="period")
    ensure_period_open(period)
    return period


@transaction.atomic
def objective_update(
    *,
    actor: Membership,
    objective: Objective,
    expected_version: int | None = None,
    title: Any = UNSET,
    description: Any = UNSET,
    level: Any = UNSET,
    team: Any = UNSET,
    owner: Any = UNSET,
    status: Any = UNSET,
    weight: Any = UNSET,
    period: Any = UNSET,
    parent: Any = UNSET,
    parent_key_result: Any = UNSET,
) -> Objective:
    """Change an objective's fields; `expected_version` guards against lost updates.

    Archived objectives can only be restored (status draft/active); closed ones not at all.
    """
    require_role(actor, Role.MEMBER)
    ensure_period_open(objective.period)
    if objective.status == ObjectiveStatus.CLOSED:
        ensure_objective_open(objective)
    before = snapshot(objective, OBJECTIVE_FIELDS)
    fields = _status_fields(status)
    edits = (title, description, level, team, owner, weight, period, parent, parent_key_result)
    if objective.status == ObjectiveStatus.ARCHIVED and any(v is not UNSET for v in edits):
        ensure_objective_open(objective)
    fields.update(
        _content_fields(actor, title=title, description=description, weight=weight, owner=owner)
    )
    fields.update(_level_fields(actor, objective, level=level, team=team))
    new_period = _new_period(actor, objective, period)
    if period is not UNSET:
        fields["period"] = new_period
    fields.update(
        _alignment_fields(
            actor,
            objective,
            new_period=new_period,
            period=period,
            parent=parent,
            parent_key_result=parent_key_result,
        )
    )
    if not versioned_update(objective, expected_version=expected_version, fields=fields):
        return objective  # nothing changed: no version, audit event or webhook
    audit_change(
        actor, verb="objective.updated", obj=objective, before=before, fields=OBJECTIVE_FIELDS
    )
    _publish(actor, objective, "updated")
    return objective


@transaction.atomic
def objective_reparent(
    *,
    actor: Membership,
    objective: Objective,
    parent: Objective | None,
    parent_key_result: KeyResult | None = None,
    expected_version: int | None = None,
) -> Objective:
    """Align an objective under another (optionally under one of its KRs), or detach it."""
    require_role(actor, Role.MEMBER)
    ensure_objective_open(objective)
    before = snapshot(objective, ["parent", "parent_key_result"])
    new_parent, new_parent_kr = _resolve_alignment(
        actor, objective, objective.period, parent, parent_key_result
    )
    if not versioned_update(
        objective,
        expected_version=expected_version,
        fields={"parent": new_parent, "parent_key_result": new_parent_kr},
    ):
        return objective
    audit_change(
        actor,
        verb="objective.reparented",
        obj=objective,
        before=before,
        fields=["parent", "parent_key_result"],
    )
    _publish(actor, objective, "reparented")
    return objective


@transaction.atomic
def objective_archive(
    *, actor: Membership, objective: Objective, expected_version: int | None = None
) -> Objective:
    """Archive an objective: it leaves trees and rollups; its aligned children stay."""
    require_role(actor, Role.MEMBER)
    if objective.level == ObjectiveLevel.COMPANY:
        require_role(actor, Role.ADMIN)
    if objective.status == ObjectiveStatus.ARCHIVED:
        return objective
    before = {"status": objective.status}
    if not versioned_update(
        objective, expected_version=expected_version, fields={"status": ObjectiveStatus.ARCHIVED}
    ):
        return objective  # already archived
    audit_by(
        actor, verb="objective.archived", obj=objective, before=before, after={"status": "archived"}
    )
    _publish(actor, objective, "archived")
    return objective


MAX_COMMENT = 5000


@transaction.atomic
def objective_comment_add(
    *, actor: Membership, objective: Objective, body: str
) -> ObjectiveComment:
    """Comment on an objective (members and up)."""
    require_role(actor, Role.MEMBER)
    ensure_same_workspace(actor, objective, what="The objective", field="objective")
    text = clean_title(body, "body", max_length=MAX_COMMENT)
    comment = ObjectiveComment.objects.create(
        workspace=actor.workspace, objective=objective, author=actor.user, body=text
    )
    audit_by(
        actor,
        verb="objective.commented",
        obj=objective,
        after={"comment": comment.pk},
    )
    return comment
