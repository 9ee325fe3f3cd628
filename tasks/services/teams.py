"""Handing a task to another team: a new key there, the old key kept as an alias; and keys
from another tracker kept as aliases."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import FieldErrors
from alignment.guards import ensure_same_workspace, require_admin, require_member
from alignment.models import Membership, Team
from alignment.versioning import save_versioned
from tasks import gates, ranking
from tasks.models import (
    Task,
    TaskAlias,
    TaskEvent,
    TaskEventKind,
    TaskKeyAlias,
    WorkflowState,
    parse_key,
)
from tasks.services.changes import publish_change, record_event, set_state_times, tracked_value
from tasks.services.core import last_rank, next_number


@transaction.atomic
def task_move_to_team(
    *,
    actor: Membership,
    task: Task,
    team: Team,
    expected_version: int | None = None,
) -> Task:
    """Hand a task to another team of the same workspace: it gets that team's next key, the
    old key keeps resolving (TaskAlias), its state maps by category and it leaves its sprint.
    Moving into another workspace is impossible (the team is 'not found')."""
    require_member(actor)
    ensure_same_workspace(actor, task)
    ensure_same_workspace(actor, team, what="That team")
    if team.pk == task.team_id:
        return task
    old_team, old_number, old_key = task.team, task.number, task.key
    old_state = task.state
    states = list(WorkflowState.objects.filter(team=team).order_by("position", "pk"))
    same_category = [s for s in states if s.category == old_state.category]
    if not states:
        raise FieldErrors({"team": f"{team.name} has no workflow states yet."})
    new_state = (same_category or states)[0]
    old_sprint_id = task.sprint_id
    TaskAlias.objects.create(
        workspace_id=task.workspace_id, task=task, team=old_team, number=old_number
    )
    task.team = team
    task.number = next_number(team)
    task.sprint = None
    task.rank = ranking.key_between(last_rank(team), None)
    now = timezone.now()
    set_state_times(task, new_state, now)
    # Joining another team's Done column is entering it: that team's standards apply.
    gates.check_entry(
        task,
        gates.Entry(
            state=new_state,
            from_category=old_state.category,
            from_team_id=old_team.pk,
            actor=actor,
        ),
    )
    save_versioned(
        task,
        expected_version=expected_version,
        fields=[
            "team_id",
            "number",
            "sprint_id",
            "rank",
            "state_id",
            "state_category",
            "started_at",
            "completed_at",
        ],
        label=f"Task {old_key}",
    )
    events = [
        record_event(
            task,
            actor=actor,
            kind=TaskEventKind.TEAM,
            before={"team": old_team.pk, "key": old_key},
            after={"team": team.pk, "key": task.key},
            at=now,
        )
    ]
    if old_state.pk != new_state.pk:
        events.append(
            record_event(
                task,
                actor=actor,
                kind=TaskEventKind.STATE,
                before={"state": tracked_value("state", old_state)},
                after={"state": tracked_value("state", new_state)},
                at=now,
            )
        )
    if old_sprint_id is not None:
        events.append(
            record_event(
                task,
                actor=actor,
                kind=TaskEventKind.SPRINT,
                before={"sprint": old_sprint_id},
                after={"sprint": None},
                at=now,
            )
        )
    TaskEvent.objects.bulk_create(events)
    audit_by(
        actor,
        verb="task.moved_to_team",
        obj=task,
        before={"key": old_key, "team": old_team.pk},
        after={"key": task.key, "team": team.pk},
    )
    publish_change(
        actor,
        task,
        ["team", "state", "sprint"],
        [task.roadmap_item_id],
        previous_team_id=old_team.pk,
    )
    return task


@transaction.atomic
def task_key_alias_add(*, actor: Membership, task: Task, key: str, source: str) -> TaskKeyAlias:
    """Keep a key the task had in another tracker (`source`, e.g. Jira's WEB-2), so links,
    search, the API and pull requests naming it still find the task. Admins only (imports)."""
    require_admin(actor)
    ensure_same_workspace(actor, task)
    parsed = parse_key(key)
    if parsed is None:
        raise FieldErrors({"key": f"{key} is not shaped like a task key."})
    normal = f"{parsed[0]}-{parsed[1]}"
    try:
        with transaction.atomic():
            return TaskKeyAlias.objects.create(
                workspace_id=task.workspace_id, task=task, key=normal, source=source[:20]
            )
    except IntegrityError as error:
        raise FieldErrors({"key": f"{normal} already leads to another task."}) from error
