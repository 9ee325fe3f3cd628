"""Objectives: create, edit, align under a parent, archive, comment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from alignment import events
from alignment.audit import audit_by, audit_record, snapshot
from alignment.errors import FieldErrors
from alignment.models import Membership, Role, Team, User
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
    ensure_in_workspace,
    ensure_member,
    ensure_objective_open,
    ensure_period_open,
    require_role,
    to_weight,
    versioned_update,
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
    ensure_in_workspace(actor, parent_key_result, "The parent key result", "parent_key_result")
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
    ensure_in_workspace(actor, parent, "The parent objective", "parent")
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


def _audit(actor: Membership, verb: str, objective: Objective, **kwargs: Any) -> None:
    audit_record(workspace=actor.workspace, actor=actor.user, verb=verb, obj=objective, **kwargs)


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
    ensure_in_workspace(actor, period, "The period", "period")
    ensure_in_workspace(actor, team, "The team", "team")
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
    _audit(actor, "objective.created", objective, after=snapshot(objective, OBJECTIVE_FIELDS))
    _publish(actor, objective, "created")
    return objective


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
    fields: dict[str, Any] = {}
    if status is not UNSET:
        if status not in EDITABLE_STATUSES:
            raise FieldErrors(
                {"status": "Set draft or active here; archive or close the period instead."}
            )
        fields["status"] = status
    edits = {
        "title": title,
        "description": description,
        "level": level,
        "team": team,
        "owner": owner,
        "weight": weight,
        "period": period,
        "parent": parent,
        "parent_key_result": parent_key_result,
    }
    if objective.status == ObjectiveStatus.ARCHIVED and any(v is not UNSET for v in edits.values()):
        ensure_objective_open(objective)
    if title is not UNSET:
        fields["title"] = clean_title(title)
    if description is not UNSET:
        fields["description"] = _clean_description(description)
    if weight is not UNSET:
        fields["weight"] = to_weight(weight)
    if owner is not UNSET:
        ensure_member(actor, owner)
        fields["owner"] = owner
    new_team = objective.team if team is UNSET else team
    new_level = objective.level if level is UNSET else level
    ensure_in_workspace(actor, new_team, "The team", "team")
    if level is not UNSET or team is not UNSET:
        if objective.level == ObjectiveLevel.COMPANY:
            require_role(actor, Role.ADMIN)
        _check_level(actor, new_level, new_team)
        fields.update(level=new_level, team=new_team)
    new_period = objective.period if period is UNSET else period
    if period is not UNSET:
        ensure_in_workspace(actor, new_period, "The period", "period")
        ensure_period_open(new_period)
        fields["period"] = new_period
    if period is not UNSET or parent is not UNSET or parent_key_result is not UNSET:
        kept_kr = objective.parent_key_result if parent_key_result is UNSET else parent_key_result
        if (
            parent_key_result is UNSET
            and parent is not UNSET
            and kept_kr is not None
            and (parent is None or kept_kr.objective_id != parent.pk)
        ):
            kept_kr = None  # aligned elsewhere: the old parent's key result no longer applies
        new_parent, new_parent_kr = _resolve_alignment(
            actor,
            objective,
            new_period,
            objective.parent if parent is UNSET else parent,
            kept_kr,
        )
        if parent is not UNSET and parent is None:
            new_parent, new_parent_kr = None, None
        fields.update(parent=new_parent, parent_key_result=new_parent_kr)
    if not versioned_update(objective, expected_version=expected_version, fields=fields):
        return objective  # nothing changed: no version, audit event or webhook
    _audit(
        actor,
        "objective.updated",
        objective,
        before=before,
        after=snapshot(objective, OBJECTIVE_FIELDS),
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
    _audit(
        actor,
        "objective.reparented",
        objective,
        before=before,
        after=snapshot(objective, ["parent", "parent_key_result"]),
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
    _audit(actor, "objective.archived", objective, before=before, after={"status": "archived"})
    _publish(actor, objective, "archived")
    return objective


MAX_COMMENT = 5000


@transaction.atomic
def objective_comment_add(
    *, actor: Membership, objective: Objective, body: str
) -> ObjectiveComment:
    """Comment on an objective (members and up)."""
    require_role(actor, Role.MEMBER)
    ensure_in_workspace(actor, objective, "The objective", "objective")
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
