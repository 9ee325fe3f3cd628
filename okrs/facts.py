"""Key results as plain data for `okrs.progress`: from a model instance or fetched values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from django.utils import timezone

from okrs import progress as math
from okrs.models import KeyResult

# The KeyResult fields `key_result_facts_of` reads, for callers that fetch plain values.
KEY_RESULT_FACT_FIELDS = (
    "id",
    "objective_id",
    "kind",
    "source",
    "baseline",
    "target",
    "current",
    "weight",
    "confidence",
    "last_check_in_at",
    "created_at",
    "milestones",
)


def key_result_facts(
    kr: KeyResult, *, tasks_progress: float | None = None, tz: tzinfo | None = None
) -> math.KeyResultFacts:
    """A KR as plain data for `okrs.progress`."""
    values = {name: getattr(kr, name) for name in KEY_RESULT_FACT_FIELDS}
    return key_result_facts_of(values, tasks_progress=tasks_progress, tz=tz)


def key_result_facts_of(
    values: Mapping[str, Any], *, tasks_progress: float | None = None, tz: tzinfo | None = None
) -> math.KeyResultFacts:
    """A KR as plain data from its field values (`KEY_RESULT_FACT_FIELDS`).

    A full rollup builds 6,000 at a million tasks from fetched values, not model instances
    (whose construction was a fifth of the OKR level). `tz`: the current time zone, looked
    up once by such callers (per KR it was a fifth of this function's time).
    """
    zone = tz or timezone.get_current_timezone()
    checked_in, created = values["last_check_in_at"], values["created_at"]
    return math.KeyResultFacts(
        id=values["id"],
        objective_id=values["objective_id"],
        kind=values["kind"],
        source=values["source"],
        baseline=float(values["baseline"]),
        target=float(values["target"]),
        current=float(values["current"]),
        weight=float(values["weight"]),
        confidence=values["confidence"],
        last_check_in_on=timezone.localdate(checked_in, zone) if checked_in else None,
        created_on=timezone.localdate(created, zone) if created else None,
        steps=steps_of(values["milestones"]),
        tasks_progress=tasks_progress,
    )


def steps_of(milestones: Any) -> tuple[math.Step, ...]:
    if not isinstance(milestones, list):
        return ()
    return tuple(
        math.Step(
            title=str(step.get("title", "")),
            weight=float(step.get("weight", 1) or 0),
            done=bool(step.get("done", False)),
        )
        for step in milestones
        if isinstance(step, dict)
    )
