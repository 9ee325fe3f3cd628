"""Periods: create, edit, delete and close (scoring objectives, carrying unfinished work over)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from alignment import events
from alignment.audit import audit_by, audit_change, audit_created, snapshot
from alignment.errors import Conflict, FieldErrors
from alignment.guards import ensure_same_workspace, require_role
from alignment.models import Membership, Role, Workspace
from okrs import selectors
from okrs.errors import PeriodOverlap
from okrs.events import PeriodChanged
from okrs.events import PeriodClosed as PeriodClosedEvent
from okrs.models import KeyResult, Objective, ObjectiveStatus, Period
from okrs.services._common import UNSET, clean_title, ensure_period_open

PERIOD_FIELDS = ["name", "start", "end", "closed_at", "allows_overlap", "overlap_reason"]
OVERLAPS_NAMED = 3  # the refusal names this many overlapping periods, then "and N more"


def _check_dates(start: Any, end: Any) -> None:
    if not isinstance(start, date):
        raise FieldErrors({"start": "Enter a date."})
    if not isinstance(end, date):
        raise FieldErrors({"end": "Enter a date."})
    if end <= start:
        raise FieldErrors({"end": "The period must end after it starts."})


def _overlap_fields(allows_overlap: Any, reason: Any) -> tuple[bool, str]:
    """The overlap flag and its reason: a reason is required when overlap is allowed."""
    allowed = bool(allows_overlap)
    text = str(reason or "").strip() if allowed else ""
    if allowed and not text:
        raise FieldErrors(
            {"overlap_reason": "Say why this period overlaps others, e.g. “The year's goals”."}
        )
    if len(text) > 200:
        raise FieldErrors({"overlap_reason": "Keep it to 200 characters."})
    return allowed, text


def _dates(period: Period) -> str:
    return f"{period.start.day} {period.start:%b %Y} – {period.end.day} {period.end:%b %Y}"


def _check_overlap(period: Period, others: Any) -> None:
    """Refuse a period sharing days with another unless one of the two allows it."""
    if period.allows_overlap:
        return
    clashes = list(
        others.filter(start__lte=period.end, end__gte=period.start, allows_overlap=False)
        .order_by("start", "id")
        .only("id", "name", "start", "end")
    )
    if not clashes:
        return
    named = ", ".join(f"{p.name} ({_dates(p)})" for p in clashes[:OVERLAPS_NAMED])
    if len(clashes) > OVERLAPS_NAMED:
        named += f" and {len(clashes) - OVERLAPS_NAMED} more"
    error = PeriodOverlap(period=period.name, others=named)
    error.fields = {"start": [error.text]}
    raise error


def _save(period: Period) -> None:
    # One period write per workspace at a time: two admins creating overlapping periods at
    # once must not both pass the overlap check.
    list(Workspace.objects.select_for_update().filter(pk=period.workspace_id).values("pk"))
    others = Period.objects.for_workspace(period.workspace_id).exclude(pk=period.pk)
    if others.filter(name__iexact=period.name).exists():
        raise FieldErrors({"name": f"Another period is already called {period.name}."})
    _check_overlap(period, others)
    try:
        with transaction.atomic():
            period.save()
    except IntegrityError as exc:  # two people creating the same name at once
        raise FieldErrors({"name": f"Another period is already called {period.name}."}) from exc


def _publish_change(actor: Membership, period_id: int, verb: str) -> None:
    events.publish_on_commit(
        PeriodChanged(
            workspace_id=actor.workspace_id, period_id=period_id, verb=verb, actor_id=actor.user_id
        )
    )


@transaction.atomic
def period_create(
    *,
    actor: Membership,
    name: str,
    start: date,
    end: date,
    allows_overlap: bool = False,
    overlap_reason: str = "",
) -> Period:
    """Create a planning period (admin); names are unique in the workspace, and it may share
    days with another period only when one of the two allows overlap (PeriodOverlap)."""
    require_role(actor, Role.ADMIN)
    _check_dates(start, end)
    period = Period(workspace=actor.workspace, name=clean_title(name, "name", max_length=60))
    period.start, period.end = start, end
    period.allows_overlap, period.overlap_reason = _overlap_fields(allows_overlap, overlap_reason)
    _save(period)
    audit_created(actor, verb="period.created", obj=period, fields=PERIOD_FIELDS)
    _publish_change(actor, period.pk, "created")
    return period


@transaction.atomic
def period_update(
    *,
    actor: Membership,
    period: Period,
    name: Any = UNSET,
    start: Any = UNSET,
    end: Any = UNSET,
    allows_overlap: Any = UNSET,
    overlap_reason: Any = UNSET,
) -> Period:
    """Rename an open period, move its dates or change whether it may overlap (admin)."""
    require_role(actor, Role.ADMIN)
    ensure_period_open(period)
    before = snapshot(period, PERIOD_FIELDS)
    if name is not UNSET:
        period.name = clean_title(name, "name", max_length=60)
    new_start = period.start if start is UNSET else start
    new_end = period.end if end is UNSET else end
    _check_dates(new_start, new_end)
    period.start, period.end = new_start, new_end
    period.allows_overlap, period.overlap_reason = _overlap_fields(
        period.allows_overlap if allows_overlap is UNSET else allows_overlap,
        period.overlap_reason if overlap_reason is UNSET else overlap_reason,
    )
    _save(period)
    audit_change(actor, verb="period.updated", obj=period, before=before, fields=PERIOD_FIELDS)
    _publish_change(actor, period.pk, "updated")
    return period


@transaction.atomic
def period_delete(*, actor: Membership, period: Period) -> None:
    """Delete an empty period (admin); one with objectives is refused."""
    require_role(actor, Role.ADMIN)
    audit_by(
        actor,
        verb="period.deleted",
        obj=period,
        before=snapshot(period, PERIOD_FIELDS),
    )
    period_id = period.pk
    try:
        with transaction.atomic():
            period.delete()
    except ProtectedError as exc:
        raise Conflict(
            f"{period.name} still has objectives; archive or move them before deleting it."
        ) from exc
    _publish_change(actor, period_id, "deleted")


def _next_period(actor: Membership, period: Period, next_period: Period | None) -> Period:
    if next_period is None:
        found = (
            Period.objects.for_workspace(actor.workspace)
            .filter(start__gte=period.end, closed_at__isnull=True)
            .order_by("start", "id")
            .first()
        )
        if found is None:
            raise FieldErrors(
                {"next_period": "Create the next period first, then close with carry-over."}
            )
        return found
    ensure_same_workspace(actor, next_period, what="The next period", field="next_period")
    if next_period.pk == period.pk or next_period.start < period.end:
        raise FieldErrors({"next_period": "Carry over into a period that starts later."})
    if next_period.closed_at is not None:
        raise FieldErrors({"next_period": f"{next_period.name} is closed."})
    return next_period


@transaction.atomic
def period_close(
    *,
    actor: Membership,
    period: Period,
    carry_over: bool = False,
    next_period: Period | None = None,
) -> Period:
    """Score every open objective with its final progress and close it (admin).

    With `carry_over`, each objective that has unfinished KRs is copied into the next period
    with just those KRs, each starting from where it ended (baseline = the old current).
    """
    require_role(actor, Role.ADMIN)
    period = Period.objects.select_for_update().get(pk=period.pk)
    ensure_period_open(period)
    target = _next_period(actor, period, next_period) if carry_over else None
    objectives = list(
        Objective.objects.for_workspace(actor.workspace)
        .filter(period=period, status__in=[ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE])
        .select_related("period", "parent__period")
    )
    nodes = selectors.progress_for_objectives(actor.workspace, objectives)
    now = timezone.now()
    for objective in objectives:
        score = Decimal(str(round(nodes[objective.pk].progress, 4)))
        Objective.objects.filter(pk=objective.pk).update(
            status=ObjectiveStatus.CLOSED,
            score=score,
            updated_at=now,
            version=objective.version + 1,
        )
    carried = _carry_over(actor, objectives, nodes, target) if target is not None else 0
    period.closed_at = now
    period.save(update_fields=["closed_at"])
    audit_by(
        actor,
        verb="period.closed",
        obj=period,
        after={
            "scored": len(objectives),
            "carried_over": carried,
            "next_period": target.pk if target else None,
        },
    )
    events.publish_on_commit(
        PeriodClosedEvent(
            workspace_id=actor.workspace_id,
            period_id=period.pk,
            carried_into_period_id=target.pk if target else None,
            actor_id=actor.user_id,
        )
    )
    return period


def _carry_over(
    actor: Membership,
    objectives: list[Objective],
    nodes: dict[int, selectors.ObjectiveNode],
    target: Period,
) -> int:
    """Copy objectives with unfinished KRs into `target`; returns how many were copied."""
    already = set(
        Objective.objects.filter(carried_from__in=objectives, period=target).values_list(
            "carried_from_id", flat=True
        )
    )
    new_objective: dict[int, Objective] = {}
    new_kr: dict[int, KeyResult] = {}
    for objective in objectives:
        unfinished = [n for n in nodes[objective.pk].key_results if n.progress < 1]
        if not unfinished or objective.pk in already:
            continue
        copy = Objective.objects.create(
            workspace=actor.workspace,
            period=target,
            title=objective.title,
            description=objective.description,
            level=objective.level,
            team_id=objective.team_id,
            owner_id=objective.owner_id,
            status=ObjectiveStatus.ACTIVE,
            weight=objective.weight,
            carried_from=objective,
        )
        new_objective[objective.pk] = copy
        for node in unfinished:
            kr = node.key_result
            # Continue from where it ended; a value already at its target (possible when the
            # progress comes from children or work) keeps its old baseline instead.
            restart = kr.is_numeric and kr.current != kr.target
            new_kr[kr.pk] = KeyResult.objects.create(
                workspace=actor.workspace,
                objective=copy,
                title=kr.title,
                owner_id=kr.owner_id,
                kind=kr.kind,
                unit=kr.unit,
                baseline=kr.current if restart else kr.baseline,
                target=kr.target,
                current=kr.current,
                source=kr.source,
                weight=kr.weight,
                confidence=kr.confidence,
                milestones=kr.milestones,
                position=kr.position,
                carried_from=kr,
            )
        audit_by(
            actor,
            verb="objective.carried_over",
            obj=copy,
            after={"from": objective.pk, "key_results": len(unfinished)},
        )
    # Keep alignment: to the carried copy of the parent, or to a parent whose period also
    # covers the next period (e.g. a yearly objective); otherwise the copy starts unaligned.
    for old_pk, copy in new_objective.items():
        old = next(o for o in objectives if o.pk == old_pk)
        if old.parent_id in new_objective:
            copy.parent = new_objective[old.parent_id]
            copy.parent_key_result = new_kr.get(old.parent_key_result_id or 0)
        elif old.parent is not None and (
            old.parent.period.start <= target.start and old.parent.period.end >= target.end
        ):
            copy.parent_id, copy.parent_key_result_id = old.parent_id, old.parent_key_result_id
        else:
            continue
        copy.save(update_fields=["parent", "parent_key_result"])
    return len(new_objective)
