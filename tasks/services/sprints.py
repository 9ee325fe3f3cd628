"""Sprints: plan, start, close (carrying unfinished work over), and capacity per person."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alignment.audit import audit_by, audit_change, audit_created, audit_record, snapshot
from alignment.dates import range_error
from alignment.errors import FieldErrors, StaleVersion
from alignment.events import publish_on_commit
from alignment.guards import ensure_same_workspace, require_member
from alignment.models import Membership, Team, TeamMember, User
from alignment.versioning import save_versioned
from tasks.errors import (
    SprintAlreadyActive,
    SprintClosed,
    SprintNotActive,
    SprintOfAnotherTeam,
)
from tasks.errors import SprintStarted as SprintStartedError
from tasks.events import SprintChanged, SprintStarted
from tasks.events import SprintClosed as SprintClosedEvent
from tasks.models import (
    OPEN_CATEGORIES,
    Sprint,
    SprintCapacity,
    SprintCarryOver,
    SprintStatus,
    Task,
    TaskEvent,
    TaskEventKind,
)
from tasks.services.changes import apply_changes
from tasks.services.rules import UNSET, ensure_workspace_user

# A person's capacity as a form or API gives it; None or "" clears it.
CapacityValue = Decimal | int | str | None

SPRINT_FIELDS = ["name", "goal", "start_date", "end_date", "status"]


def _clean_sprint(sprint: Sprint) -> None:
    errors: dict[str, str] = {}
    sprint.name = (sprint.name or "").strip()
    if not sprint.name:
        errors["name"] = "Give the sprint a name."
    elif len(sprint.name) > 100:
        errors["name"] = "Use at most 100 characters."
    elif (
        Sprint.objects.filter(team_id=sprint.team_id, name__iexact=sprint.name)
        .exclude(pk=sprint.pk)
        .exists()
    ):
        errors["name"] = f"This team already has a sprint called {sprint.name}."
    if bad_range := range_error(sprint.start_date, sprint.end_date):
        errors["end_date"] = bad_range
    if errors:
        raise FieldErrors(errors)


@transaction.atomic
def sprint_create(
    *,
    actor: Membership,
    team: Team,
    name: str,
    start_date: date,
    end_date: date,
    goal: str = "",
    capacities: Mapping[User, CapacityValue] | None = None,
) -> Sprint:
    """Plan a sprint for a team, with the capacity of each of its members if given."""
    require_member(actor)
    ensure_same_workspace(actor, team)
    sprint = Sprint(
        workspace_id=actor.workspace_id,
        team=team,
        name=name,
        goal=goal,
        start_date=start_date,
        end_date=end_date,
    )
    _clean_sprint(sprint)
    try:
        with transaction.atomic():
            sprint.save()
    except IntegrityError as exc:
        raise FieldErrors({"name": "This team already has a sprint with that name."}) from exc
    if capacities:
        sprint_set_capacities(actor=actor, sprint=sprint, capacities=capacities)
    audit_created(actor, verb="sprint.created", obj=sprint, fields=SPRINT_FIELDS)
    return sprint


@transaction.atomic
def sprint_update(
    *,
    actor: Membership,
    sprint: Sprint,
    expected_version: int | None = None,
    name: str = UNSET,
    goal: str = UNSET,
    start_date: date = UNSET,
    end_date: date = UNSET,
    capacities: Mapping[User, CapacityValue] | None = None,
) -> Sprint:
    """Rename, re-goal, re-date or re-plan the capacity of a sprint that is not closed."""
    require_member(actor)
    ensure_same_workspace(actor, sprint)
    if sprint.status == SprintStatus.CLOSED:
        raise SprintClosed(sprint=sprint.name)
    before = snapshot(sprint, SPRINT_FIELDS)
    changes = {"name": name, "goal": goal, "start_date": start_date, "end_date": end_date}
    changes = {k: v for k, v in changes.items() if v is not UNSET}
    for field, value in changes.items():
        setattr(sprint, field, value)
    _clean_sprint(sprint)
    save_versioned(
        sprint,
        expected_version=expected_version,
        fields=list(changes) or ["name"],
        label=f"Sprint {sprint.name}",
    )
    if capacities:
        sprint_set_capacities(actor=actor, sprint=sprint, capacities=capacities)
    audit_change(actor, verb="sprint.updated", obj=sprint, before=before, fields=SPRINT_FIELDS)
    publish_on_commit(
        SprintChanged(workspace_id=sprint.workspace_id, sprint_id=sprint.pk, actor_id=actor.user_id)
    )
    return sprint


@transaction.atomic
def sprint_start(*, actor: Membership, sprint: Sprint) -> Sprint:
    """Make a planned sprint the team's active one (a team has at most one)."""
    require_member(actor)
    ensure_same_workspace(actor, sprint)
    if sprint.status != SprintStatus.PLANNED:
        raise SprintNotActive(
            f"{sprint.name} is {sprint.status}; only a planned sprint can start.",
            sprint=sprint.name,
            status=sprint.status,
        )
    active = Sprint.objects.filter(team_id=sprint.team_id, status=SprintStatus.ACTIVE).first()
    if active is not None:
        raise SprintAlreadyActive(team=sprint.team.name, active=active.name)
    try:
        with transaction.atomic():
            updated = Sprint.objects.filter(pk=sprint.pk, status=SprintStatus.PLANNED).update(
                status=SprintStatus.ACTIVE, started_at=timezone.now(), version=F("version") + 1
            )
    except IntegrityError as exc:
        # Someone started another sprint of this team at the same moment: the constraint won.
        raise SprintAlreadyActive(team=sprint.team.name, active="another sprint") from exc
    if not updated:
        sprint.refresh_from_db()
        raise SprintNotActive(sprint=sprint.name, status=sprint.status)
    sprint.refresh_from_db()
    audit_record(workspace=actor.workspace, actor=actor.user, verb="sprint.started", obj=sprint)
    publish_on_commit(
        SprintStarted(workspace_id=sprint.workspace_id, sprint_id=sprint.pk, actor_id=actor.user_id)
    )
    return sprint


def next_sprint(sprint: Sprint) -> Sprint | None:
    """The team's next planned sprint: the earliest planned one starting after this began."""
    return (
        Sprint.objects.filter(team_id=sprint.team_id, status=SprintStatus.PLANNED)
        .exclude(pk=sprint.pk)
        .order_by("start_date", "pk")
        .first()
    )


@transaction.atomic
def sprint_close(
    *, actor: Membership, sprint: Sprint, carry_to: Sprint | None = UNSET
) -> list[SprintCarryOver]:
    """Close the active sprint. Unfinished tasks move to `carry_to`, else the team's next
    planned sprint, else the backlog (carry_to=None); each move is recorded as a
    SprintCarryOver row and a sprint TaskEvent, so burndown keeps what was unfinished."""
    require_member(actor)
    ensure_same_workspace(actor, sprint)
    locked = Sprint.objects.select_for_update().get(pk=sprint.pk)
    if locked.status != SprintStatus.ACTIVE:
        raise SprintNotActive(sprint=sprint.name, status=locked.status)
    target = next_sprint(sprint) if carry_to is UNSET else carry_to
    if target is not None:
        ensure_same_workspace(actor, target)
        if target.team_id != sprint.team_id:
            raise SprintOfAnotherTeam(
                task="Unfinished work", team=sprint.team.name, sprint=target.name
            )
        if target.status == SprintStatus.CLOSED or target.pk == sprint.pk:
            raise SprintClosed(sprint=target.name)
    now = timezone.now()
    unfinished = list(
        Task.objects.select_for_update()
        .filter(sprint=sprint, state_category__in=sorted(OPEN_CATEGORIES))
        .order_by("pk")
    )
    carry_overs = [
        SprintCarryOver(
            workspace_id=sprint.workspace_id,
            from_sprint=sprint,
            to_sprint=target,
            task=task,
            estimate=task.estimate,
            state_category=task.state_category,
            created_at=now,
        )
        for task in unfinished
    ]
    SprintCarryOver.objects.bulk_create(carry_overs)
    Task.objects.filter(pk__in=[t.pk for t in unfinished]).update(
        sprint=target, version=F("version") + 1, updated_at=now
    )
    events = []
    for task in unfinished:
        task.sprint = target
        events.append(
            TaskEvent(
                workspace_id=task.workspace_id,
                task=task,
                actor=actor.user,
                kind=TaskEventKind.SPRINT,
                before={"sprint": sprint.pk},
                after={"sprint": target.pk if target else None, "carried_over": True},
                sprint=target,
                estimate=task.estimate,
                state_category=task.state_category,
                created_at=now,
            )
        )
    TaskEvent.objects.bulk_create(events)
    Sprint.objects.filter(pk=sprint.pk).update(
        status=SprintStatus.CLOSED, closed_at=now, version=F("version") + 1
    )
    sprint.refresh_from_db()
    audit_by(
        actor,
        verb="sprint.closed",
        obj=sprint,
        after={"carried_over": len(unfinished), "to_sprint": target.pk if target else None},
    )
    publish_on_commit(
        SprintClosedEvent(
            workspace_id=sprint.workspace_id,
            sprint_id=sprint.pk,
            carried_task_ids=tuple(t.pk for t in unfinished),
            actor_id=actor.user_id,
        )
    )
    return carry_overs


@transaction.atomic
def sprint_delete(*, actor: Membership, sprint: Sprint, expected_version: int | None = None) -> int:
    """Delete a sprint that has not started; its tasks go back to the backlog (with history).

    A started sprint is history (burndown, velocity, carry-over read it): it is closed, never
    deleted. Returns how many tasks went back to the backlog."""
    require_member(actor)
    ensure_same_workspace(actor, sprint)
    locked = Sprint.objects.select_for_update().get(pk=sprint.pk)
    if locked.status != SprintStatus.PLANNED:
        raise SprintStartedError(sprint=locked.name, status=locked.get_status_display().lower())
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(object=f"Sprint {locked.name}", current=locked.version)
    before = snapshot(locked, SPRINT_FIELDS)
    # Each task moves through the one task write, so its history says it left for the backlog
    # (a plain SET_NULL cascade would move it silently).
    tasks = list(Task.objects.select_for_update().filter(sprint=locked).order_by("pk"))
    for task in tasks:
        apply_changes(actor=actor, task=task, changes={"sprint": None}, expected_version=None)
    audit_by(actor, verb="sprint.deleted", obj=locked, before=before)
    locked.delete()
    return len(tasks)


def team_member_ids(team: Team) -> set[int]:
    """The users who are members of the team: the only people a sprint plans capacity for."""
    return set(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))


def _clean_points(value: CapacityValue, *, field: str = "points") -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise FieldErrors({field: "Must be a number."}) from exc
    if not points.is_finite() or points < 0 or points >= 100000:
        raise FieldErrors({field: "Use a number from 0 to 99999."})
    return points.quantize(Decimal("0.1"))


def _ensure_team_member(sprint: Sprint, user: User, members: set[int]) -> None:
    if user.pk not in members:
        raise FieldErrors(
            {"user": f"{user.display_name} is not a member of {sprint.team.name}."},
            "Capacity is planned for the team's members only.",
        )


@transaction.atomic
def sprint_set_capacities(
    *, actor: Membership, sprint: Sprint, capacities: Mapping[User, CapacityValue]
) -> list[SprintCapacity]:
    """Set (or with None, clear) the capacity of several of the team's members at once."""
    require_member(actor)
    ensure_same_workspace(actor, sprint)
    if sprint.status == SprintStatus.CLOSED:
        raise SprintClosed(sprint=sprint.name)
    members = team_member_ids(sprint.team)
    saved = []
    for user, value in capacities.items():
        ensure_workspace_user(actor, user)
        _ensure_team_member(sprint, user, members)
        points = _clean_points(value, field=f"capacity_{user.pk}")
        if points is None:
            SprintCapacity.objects.filter(sprint=sprint, user=user).delete()
            continue
        capacity, _ = SprintCapacity.objects.update_or_create(
            sprint=sprint,
            user=user,
            defaults={"points": points},
            create_defaults={"points": points, "workspace_id": actor.workspace_id},
        )
        saved.append(capacity)
    return saved


@transaction.atomic
def sprint_set_capacity(
    *, actor: Membership, sprint: Sprint, user: User, points: Decimal | int | str
) -> SprintCapacity:
    """How many points `user`, a member of the sprint's team, plans to take on in `sprint`."""
    require_member(actor)
    ensure_same_workspace(actor, sprint)
    ensure_workspace_user(actor, user)
    _ensure_team_member(sprint, user, team_member_ids(sprint.team))
    value = _clean_points(points)
    if value is None:
        raise FieldErrors({"points": "Must be a number."})
    capacity, _ = SprintCapacity.objects.update_or_create(
        sprint=sprint,
        user=user,
        defaults={"points": value},
        create_defaults={"points": value, "workspace_id": actor.workspace_id},
    )
    return capacity
