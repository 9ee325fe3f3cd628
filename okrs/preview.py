"""What an unsaved key result would show: the pure evaluator over the form's current input.

The saved numbers come from the read model; a form that is being typed has no row yet, so the
preview runs the same evaluator the rollups run (`okrs.progress.evaluate_key_result`) over the
draft, against the objective's period and the workspace's thresholds. It never writes.
"""

from __future__ import annotations

import math as floats
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from alignment.models import Workspace
from okrs import progress as math
from okrs.facts import steps_of
from okrs.forms import parse_steps
from okrs.models import KeyResult, KeyResultKind, KeyResultSource, Objective

MEASURED_SOURCES = frozenset({KeyResultSource.TASKS, KeyResultSource.CHILDREN})


@dataclass(frozen=True)
class Preview:
    percent: int
    expected_percent: int
    status: math.Status
    # Why there is no number (e.g. "Set a target to see …"); then the fields above are unset.
    missing: str = ""
    # Set for KRs measured from linked work or aligned objectives: the number is not typed.
    measured: bool = False


def _number(raw: Any) -> float | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    number = float(value)
    return number if floats.isfinite(number) else None


def key_result_preview(
    *,
    workspace: Workspace,
    objective: Objective,
    key_result: KeyResult | None,
    data: Mapping[str, Any],
    today: date,
) -> Preview | None:
    """Progress, expected pace and status the draft would have today; None without a title."""
    if not str(data.get("title") or "").strip():
        return None
    kind = str(data.get("kind") or KeyResultKind.NUMBER)
    source = str(data.get("source") or KeyResultSource.MANUAL)
    binary = kind in (KeyResultKind.BOOLEAN, KeyResultKind.MILESTONE)
    if source in MEASURED_SOURCES and not binary:
        return Preview(0, 0, math.Status(math.ON_TRACK, []), measured=True)
    baseline = _number(data.get("baseline")) if not binary else 0.0
    target = _number(data.get("target")) if not binary else 1.0
    if baseline is None or target is None:
        return Preview(0, 0, math.Status(math.ON_TRACK, []), missing="baseline and target")
    current = _number(data.get("current"))
    if current is None:
        current = float(key_result.current) if key_result is not None else baseline
    confidence = _number(data.get("confidence"))
    steps = (
        parse_steps(str(data.get("milestones") or "")) if kind == KeyResultKind.MILESTONE else []
    )
    if key_result is not None:  # steps already ticked off stay done in the preview
        done = {step.title for step in steps_of(key_result.milestones) if step.done}
        steps = [{**step, "done": step["title"] in done} for step in steps]
    facts = math.KeyResultFacts(
        id=key_result.pk if key_result is not None else 0,
        objective_id=objective.pk,
        kind=kind,
        source=source,
        baseline=baseline,
        target=target,
        current=current,
        confidence=int(confidence) if confidence is not None else 5,
        last_check_in_on=(
            key_result.last_check_in_at.date()
            if key_result is not None and key_result.last_check_in_at
            else None
        ),
        created_on=key_result.created_at.date() if key_result is not None else today,
        steps=steps_of(steps),
    )
    result = math.evaluate_key_result(
        facts,
        period_start=objective.period.start,
        period_end=objective.period.end,
        today=today,
        thresholds=math.Thresholds.from_settings(workspace.settings),
    )
    return Preview(
        percent=round(result.progress * 100),
        expected_percent=round(result.expected * 100),
        status=result.status,
    )
