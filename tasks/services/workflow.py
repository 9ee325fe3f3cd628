"""Admins shape each team's workflow states; members manage the workspace's labels."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, Max, When
from django.utils import timezone

from alignment.audit import (
    audit_by,
    audit_change,
    audit_created,
    audit_record,
    audited_delete,
    snapshot,
)
from alignment.errors import FieldErrors
from alignment.guards import ensure_same_workspace, require_admin, require_member
from alignment.models import Membership, Team
from tasks.errors import StateInUse
from tasks.models import (
    CLOSED_CATEGORIES,
    Label,
    StateCategory,
    Task,
    TaskEvent,
    TaskEventKind,
    WorkflowState,
)
from tasks.services.rules import UNSET

STATE_FIELDS = ["name", "category", "position", "wip_limit"]
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _clean_state(state: WorkflowState) -> None:
    errors: dict[str, str] = {}
    state.name = (state.name or "").strip()
    if not state.name:
        errors["name"] = "Give the state a name."
    elif len(state.name) > 40:
        errors["name"] = "Use at most 40 characters."
    if state.category not in StateCategory.values:
        errors["category"] = f"Choose one of: {', '.join(StateCategory.values)}."
    if state.wip_limit is not None and (
        not isinstance(state.wip_limit, int) or state.wip_limit < 1
    ):
        errors["wip_limit"] = "Use a whole number of at least 1, or leave it empty."
    if state.position is None or state.position < 0:
        errors["position"] = "Use a whole number of 0 or more."
    others = WorkflowState.objects.filter(team_id=state.team_id).exclude(pk=state.pk)
    if state.name and others.filter(name__iexact=state.name).exists():
        errors["name"] = f"This team already has a state called {state.name}."
    if errors:
        raise FieldErrors(errors)


def _save_state(state: WorkflowState) -> None:
    try:
        with transaction.atomic():
            state.save()
    except IntegrityError as exc:
        raise FieldErrors({"name": "This team already has a state with that name."}) from exc


@transaction.atomic
def workflow_state_create(
    *,
    actor: Membership,
    team: Team,
    name: str,
    category: str,
    wip_limit: int | None = None,
    position: int | None = None,
) -> WorkflowState:
    """Add a column to a team's workflow (admin); it goes last unless a position is given."""
    require_admin(actor)
    ensure_same_workspace(actor, team)
    if position is None:
        top = WorkflowState.objects.filter(team=team).aggregate(m=Max("position"))["m"]
        position = 0 if top is None else top + 1
    state = WorkflowState(
        workspace_id=actor.workspace_id,
        team=team,
        name=name,
        category=category,
        wip_limit=wip_limit,
        position=position,
    )
    _clean_state(state)
    _save_state(state)
    audit_created(actor, verb="workflow_state.created", obj=state, fields=STATE_FIELDS)
    return state


@transaction.atomic
def workflow_state_update(
    *,
    actor: Membership,
    state: WorkflowState,
    name: str = UNSET,
    category: str = UNSET,
    wip_limit: int | None = UNSET,
    position: int = UNSET,
) -> WorkflowState:
    """Rename, re-categorize, reorder or limit a column (admin). A category change carries
    over to the column's tasks in one UPDATE, so metrics stay right."""
    require_admin(actor)
    ensure_same_workspace(actor, state)
    before = snapshot(state, STATE_FIELDS)
    changes = {"name": name, "category": category, "wip_limit": wip_limit, "position": position}
    for field, value in changes.items():
        if value is not UNSET:
            setattr(state, field, value)
    _clean_state(state)
    _save_state(state)
    if state.category != before["category"]:
        Task.objects.filter(state=state).update(state_category=state.category)
        _record_category_change(actor, state, before["category"])
    audit_change(
        actor, verb="workflow_state.updated", obj=state, before=before, fields=STATE_FIELDS
    )
    return state


def _record_category_change(actor: Membership, state: WorkflowState, old: str) -> None:
    """A state event for each task of the column: sprint numbers replay history
    (tasks.sprint_scope), so a column that becomes "done" completes its tasks from now on,
    in history as on the board, and a close carries exactly what history calls open."""
    now = timezone.now()
    before = {"state": {"id": state.pk, "name": state.name, "category": old}}
    after = {"state": {"id": state.pk, "name": state.name, "category": state.category}}
    TaskEvent.objects.bulk_create(
        TaskEvent(
            workspace_id=state.workspace_id,
            task_id=task_id,
            actor=actor.user,
            kind=TaskEventKind.STATE,
            before=before,
            after=after,
            sprint_id=sprint_id,
            estimate=estimate,
            state_category=state.category,
            created_at=now,
        )
        for task_id, sprint_id, estimate in Task.objects.filter(state=state).values_list(
            "pk", "sprint_id", "estimate"
        )
    )


@transaction.atomic
def workflow_state_delete(*, actor: Membership, state: WorkflowState) -> None:
    """Remove an empty column (admin); a team always keeps at least one state."""
    require_admin(actor)
    ensure_same_workspace(actor, state)
    count = Task.objects.filter(state=state).count()
    if count or WorkflowState.objects.filter(team_id=state.team_id).count() <= 1:
        raise StateInUse(state=state.name, count=count)
    audit_by(
        actor,
        verb="workflow_state.deleted",
        obj=state,
        before=snapshot(state, STATE_FIELDS),
    )
    # Merged tombstones (hidden, see Task.merged_into) must not block the delete: they move
    # to another column of the team, preferring a closed one. Their history is untouched.
    other = (
        WorkflowState.objects.filter(team_id=state.team_id)
        .exclude(pk=state.pk)
        .order_by(Case(When(category__in=sorted(CLOSED_CATEGORIES), then=0), default=1), "position")
        .first()
    )
    if other is not None:
        Task.all_objects.filter(state=state).exclude(merged_into=None).update(
            state=other, state_category=other.category
        )
    state.delete()


def _clean_label(actor: Membership, label: Label) -> None:
    errors: dict[str, str] = {}
    label.name = (label.name or "").strip()
    if not label.name:
        errors["name"] = "Give the label a name."
    elif len(label.name) > 40:
        errors["name"] = "Use at most 40 characters."
    if not COLOR.match(label.color or ""):
        errors["color"] = "Use a colour like #1f77b4."
    others = Label.objects.for_workspace(actor.workspace_id).exclude(pk=label.pk)
    if label.name and others.filter(name__iexact=label.name).exists():
        errors["name"] = f"A label called {label.name} already exists."
    if errors:
        raise FieldErrors(errors)


def _save_label(label: Label) -> None:
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError as exc:
        raise FieldErrors({"name": "A label with that name already exists."}) from exc


@transaction.atomic
def label_create(*, actor: Membership, name: str, color: str = "#6b7280") -> Label:
    """Create a workspace label."""
    require_member(actor)
    label = Label(workspace_id=actor.workspace_id, name=name, color=color)
    _clean_label(actor, label)
    _save_label(label)
    audit_record(workspace=actor.workspace, actor=actor.user, verb="label.created", obj=label)
    return label


@transaction.atomic
def label_update(
    *, actor: Membership, label: Label, name: str = UNSET, color: str = UNSET
) -> Label:
    """Rename or recolour a label."""
    require_member(actor)
    ensure_same_workspace(actor, label)
    before: dict[str, Any] = snapshot(label, ["name", "color"])
    if name is not UNSET:
        label.name = name
    if color is not UNSET:
        label.color = color
    _clean_label(actor, label)
    _save_label(label)
    audit_change(actor, verb="label.updated", obj=label, before=before, fields=["name", "color"])
    return label


@transaction.atomic
def label_delete(*, actor: Membership, label: Label) -> None:
    """Delete a label; tasks simply lose it."""
    require_member(actor)
    ensure_same_workspace(actor, label)
    audited_delete(actor, verb="label.deleted", obj=label, fields=["name", "color"])
