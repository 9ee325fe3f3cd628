"""Key results: create, edit, delete and check in (the append-only history of values)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from alignment import events
from alignment.audit import audit_by, audit_change, audit_created, snapshot
from alignment.errors import FieldErrors, StaleVersion
from alignment.guards import ensure_same_workspace, require_role
from alignment.models import Membership, Role, User
from alignment.versioning import versioned_update
from okrs import progress
from okrs.errors import CheckInNotAccepted
from okrs.events import KeyResultChanged, KeyResultCheckedIn
from okrs.facts import steps_of
from okrs.models import (
    BINARY_KINDS,
    NUMERIC_KINDS,
    CheckIn,
    KeyResult,
    KeyResultKind,
    KeyResultSource,
    Objective,
)
from okrs.services._common import (
    UNSET,
    clean_title,
    ensure_member,
    ensure_objective_open,
    to_decimal,
    to_weight,
)

KR_FIELDS = [
    "title",
    "owner",
    "kind",
    "unit",
    "baseline",
    "target",
    "current",
    "source",
    "weight",
    "confidence",
    "milestones",
]
MAX_STEPS = 20
MAX_NOTE = 5000


def clean_steps(raw: Any) -> list[dict[str, Any]]:
    """Milestone steps as [{"title", "weight", "done"}]; titles required, weights ≥ 0."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise FieldErrors({"milestones": "Send a list of steps."})
    if len(raw) > MAX_STEPS:
        raise FieldErrors({"milestones": f"Use at most {MAX_STEPS} steps."})
    steps = []
    for number, step in enumerate(raw, start=1):
        if isinstance(step, str):
            step = {"title": step}
        if not isinstance(step, dict):
            raise FieldErrors({"milestones": f"Step {number} must have a title."})
        title = str(step.get("title") or "").strip()
        if not title or len(title) > 200:
            raise FieldErrors({"milestones": f"Step {number} needs a title of 1–200 characters."})
        weight = to_weight(step.get("weight", 1), "milestones")
        done = step.get("done", False)
        if not isinstance(done, bool):
            raise FieldErrors({"milestones": f"Step {number}: done must be true or false."})
        steps.append({"title": title, "weight": float(weight), "done": done})
    return steps


def _milestone_value(steps: list[dict[str, Any]], current: Decimal) -> Decimal:
    if not steps:
        return Decimal(1) if current >= 1 else Decimal(0)
    share = progress.milestone_progress(steps_of(steps))
    return Decimal(str(round(share, 4)))


def _clean_shape(
    *,
    kind: str,
    source: str,
    baseline: Any,
    target: Any,
    current: Any,
    milestones: Any,
) -> dict[str, Any]:
    """Normalize the value fields for a kind: numeric targets differ from baselines; boolean and
    milestone KRs run from 0 to 1 with `current` as the done share."""
    if kind not in KeyResultKind.values:
        raise FieldErrors({"kind": f"Choose one of: {', '.join(KeyResultKind.values)}."})
    if source not in KeyResultSource.values:
        raise FieldErrors({"source": f"Choose one of: {', '.join(KeyResultSource.values)}."})
    if kind in BINARY_KINDS:
        if source == KeyResultSource.CHILDREN:
            raise FieldErrors(
                {"source": "A done/not-done or milestone result cannot roll up objectives."}
            )
        steps = clean_steps(milestones) if kind == KeyResultKind.MILESTONE else []
        done = to_decimal(current if current is not None else 0, "current")
        if kind == KeyResultKind.BOOLEAN and done not in (0, 1):
            raise FieldErrors({"current": "A done/not-done result is 0 or 1."})
        value = _milestone_value(steps, done) if kind == KeyResultKind.MILESTONE else done
        return {
            "baseline": Decimal(0),
            "target": Decimal(1),
            "current": value,
            "milestones": steps,
        }
    baseline_value = to_decimal(baseline, "baseline")
    target_value = to_decimal(target, "target")
    if target_value == baseline_value:
        raise FieldErrors({"target": "The target must differ from the baseline."})
    if milestones not in (None, "", []):
        raise FieldErrors({"milestones": "Only milestone results have steps."})
    current_value = to_decimal(current, "current") if current is not None else baseline_value
    return {
        "baseline": baseline_value,
        "target": target_value,
        "current": current_value,
        "milestones": [],
    }


def _confidence(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise FieldErrors({"confidence": "Use a whole number from 0 to 10."})
    return value


def _unit(value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > 20:
        raise FieldErrors({"unit": "Keep the unit to 20 characters."})
    return text


def _publish(actor: Membership, kr: KeyResult, verb: str) -> None:
    events.publish_on_commit(
        KeyResultChanged(
            workspace_id=kr.workspace_id,
            key_result_id=kr.pk,
            objective_id=kr.objective_id,
            verb=verb,
            actor_id=actor.user_id,
        )
    )


@transaction.atomic
def key_result_create(
    *,
    actor: Membership,
    objective: Objective,
    title: str,
    kind: str = KeyResultKind.NUMBER,
    unit: str = "",
    baseline: Any = 0,
    target: Any = 1,
    current: Any = None,
    source: str = KeyResultSource.MANUAL,
    weight: Any = 1,
    confidence: int = 5,
    owner: User | None = None,
    milestones: Any = None,
) -> KeyResult:
    """Add a key result to an open objective."""
    require_role(actor, Role.MEMBER)
    ensure_same_workspace(actor, objective, what="The objective", field="objective")
    ensure_objective_open(objective)
    ensure_member(actor, owner)
    shape = _clean_shape(
        kind=kind,
        source=source,
        baseline=baseline,
        target=target,
        current=current,
        milestones=milestones,
    )
    position = KeyResult.objects.filter(objective=objective).aggregate(m=Max("position"))["m"]
    kr = KeyResult.objects.create(
        workspace=actor.workspace,
        objective=objective,
        title=clean_title(title),
        owner=owner,
        kind=kind,
        unit=_unit(unit),
        source=source,
        weight=to_weight(weight),
        confidence=_confidence(confidence),
        position=0 if position is None else position + 1,
        **shape,
    )
    audit_created(actor, verb="key_result.created", obj=kr, fields=KR_FIELDS)
    _publish(actor, kr, "created")
    return kr


@transaction.atomic
def key_result_update(
    *,
    actor: Membership,
    key_result: KeyResult,
    expected_version: int | None = None,
    title: Any = UNSET,
    kind: Any = UNSET,
    unit: Any = UNSET,
    baseline: Any = UNSET,
    target: Any = UNSET,
    source: Any = UNSET,
    weight: Any = UNSET,
    owner: Any = UNSET,
    milestones: Any = UNSET,
) -> KeyResult:
    """Edit a KR's definition. Its value changes only through check-ins (kept as history)."""
    require_role(actor, Role.MEMBER)
    ensure_objective_open(key_result.objective)
    before = snapshot(key_result, KR_FIELDS)
    fields: dict[str, Any] = {}
    if title is not UNSET:
        fields["title"] = clean_title(title)
    if unit is not UNSET:
        fields["unit"] = _unit(unit)
    if weight is not UNSET:
        fields["weight"] = to_weight(weight)
    if owner is not UNSET:
        ensure_member(actor, owner)
        fields["owner"] = owner
    shape_args = (kind, baseline, target, source, milestones)
    if any(value is not UNSET for value in shape_args):
        new_kind = key_result.kind if kind is UNSET else kind
        steps = key_result.milestones if milestones is UNSET else milestones
        if new_kind not in BINARY_KINDS and milestones is UNSET:
            steps = None
        same_family = (new_kind in NUMERIC_KINDS) == (key_result.kind in NUMERIC_KINDS)
        fields.update(
            kind=new_kind,
            source=key_result.source if source is UNSET else source,
            **_clean_shape(
                kind=new_kind,
                source=key_result.source if source is UNSET else source,
                baseline=key_result.baseline if baseline is UNSET else baseline,
                target=key_result.target if target is UNSET else target,
                # Switching between numeric and done/not-done starts the value afresh.
                current=key_result.current if same_family else None,
                milestones=steps,
            ),
        )
    if not versioned_update(key_result, expected_version=expected_version, fields=fields):
        return key_result  # nothing changed: no version, audit event or webhook
    audit_change(actor, verb="key_result.updated", obj=key_result, before=before, fields=KR_FIELDS)
    _publish(actor, key_result, "updated")
    return key_result


@transaction.atomic
def key_result_delete(
    *, actor: Membership, key_result: KeyResult, expected_version: int | None = None
) -> None:
    """Delete a KR with its check-ins; objectives aligned under it stay, unlinked from it."""
    require_role(actor, Role.MEMBER)
    ensure_objective_open(key_result.objective)
    current = (
        KeyResult.objects.select_for_update()
        .filter(pk=key_result.pk)
        .values_list("version", flat=True)
        .first()
    )
    if expected_version is not None and current != expected_version:
        raise StaleVersion(object=str(key_result), current=current)
    audit_by(
        actor, verb="key_result.deleted", obj=key_result, before=snapshot(key_result, KR_FIELDS)
    )
    pk, objective_id = key_result.pk, key_result.objective_id
    key_result.delete()
    events.publish_on_commit(
        KeyResultChanged(
            workspace_id=actor.workspace_id,
            key_result_id=pk,
            objective_id=objective_id,
            verb="deleted",
            actor_id=actor.user_id,
        )
    )


FED_SOURCES = {
    KeyResultSource.TASKS: "its linked work (done points ÷ total points)",
    KeyResultSource.CHILDREN: "the objectives aligned under it",
}


def progress_is_measured(key_result: KeyResult) -> bool:
    """True when the KR's progress comes from linked work or aligned objectives, not from
    reported values: such a KR refuses check-ins that carry a value.

    Mirrors `okrs.progress.own_progress`: a done/not-done or milestone result reads its own
    value whatever its source, so it keeps taking values.
    """
    if key_result.source == KeyResultSource.CHILDREN:
        return True
    return key_result.source == KeyResultSource.TASKS and key_result.kind in NUMERIC_KINDS


def ensure_accepts_check_in(key_result: KeyResult, *, value: Any, steps_done: Any) -> None:
    """Refuse a value (or steps) on a measured KR; confidence and a note stay welcome."""
    if progress_is_measured(key_result) and (value is not None or steps_done is not None):
        raise CheckInNotAccepted(
            key_result=key_result.title, source=FED_SOURCES[KeyResultSource(key_result.source)]
        )


def _check_in_value(
    kr: KeyResult, value: Any, steps_done: Any
) -> tuple[Decimal, list[int], list[dict[str, Any]]]:
    """The value a check-in records, the done step indexes and the KR's updated steps."""
    if kr.kind == KeyResultKind.MILESTONE and kr.milestones:
        if steps_done is None:
            if value is not None:
                raise FieldErrors({"steps_done": "Mark which steps are done instead of a value."})
            steps_done = [i for i, step in enumerate(kr.milestones) if step.get("done")]
        if not isinstance(steps_done, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in steps_done
        ):
            raise FieldErrors({"steps_done": "Send the numbers (from 0) of the steps done."})
        done = sorted(set(steps_done))
        if any(i < 0 or i >= len(kr.milestones) for i in done):
            raise FieldErrors({"steps_done": f"Steps are numbered 0 to {len(kr.milestones) - 1}."})
        steps = [{**step, "done": i in done} for i, step in enumerate(kr.milestones)]
        return _milestone_value(steps, Decimal(0)), done, steps
    if steps_done not in (None, []):
        raise FieldErrors({"steps_done": "Only milestone results with steps take steps."})
    number = kr.current if value is None else to_decimal(value, "value")
    if kr.kind in BINARY_KINDS and number not in (0, 1):
        raise FieldErrors({"value": "Send 1 for done or 0 for not done."})
    return number, [], kr.milestones


@transaction.atomic
def key_result_check_in(
    *,
    actor: Membership,
    key_result: KeyResult,
    value: Any = None,
    confidence: int | None = None,
    note: str = "",
    steps_done: Any = None,
    expected_version: int | None = None,
) -> CheckIn:
    """Record a value (and confidence) on a KR; corrections are new check-ins, never edits.

    `value` None keeps the current value (a confidence-only check-in); milestone KRs with
    steps take `steps_done`, the indexes of every step done as of now. A KR fed by linked work
    or aligned objectives (`progress_is_measured`) takes only confidence-only check-ins: a
    value raises CheckInNotAccepted (409) and nothing is stored.
    """
    require_role(actor, Role.MEMBER)
    ensure_objective_open(key_result.objective)
    ensure_accepts_check_in(key_result, value=value, steps_done=steps_done)
    number, done, steps = _check_in_value(key_result, value, steps_done)
    level = key_result.confidence if confidence is None else _confidence(confidence)
    if len(note or "") > MAX_NOTE:
        raise FieldErrors({"note": f"Keep the note to {MAX_NOTE} characters."})
    now = timezone.now()
    versioned_update(
        key_result,
        expected_version=expected_version,
        fields={
            "current": number,
            "confidence": level,
            "milestones": steps,
            "last_check_in_at": now,
        },
    )
    check_in = CheckIn.objects.create(
        workspace=key_result.workspace,
        key_result=key_result,
        value=number,
        confidence=level,
        note=(note or "").strip(),
        steps_done=done,
        author=actor.user,
        created_at=now,
    )
    audit_by(
        actor,
        verb="key_result.checked_in",
        obj=key_result,
        after={"value": str(number), "confidence": level, "check_in": check_in.pk},
    )
    events.publish_on_commit(
        KeyResultCheckedIn(
            workspace_id=key_result.workspace_id,
            key_result_id=key_result.pk,
            objective_id=key_result.objective_id,
            check_in_id=check_in.pk,
            actor_id=actor.user_id,
        )
    )
    return check_in
