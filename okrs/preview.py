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

from alignment import timezones
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


def _draft_steps(
    kind: str, data: Mapping[str, Any], key_result: KeyResult | None
) -> list[dict[str, Any]]:
    """The draft's milestone steps; steps the saved key result ticked off stay done."""
    steps = (
        parse_steps(str(data.get("milestones") or "")) if kind == KeyResultKind.MILESTONE else []
    )
    if key_result is not None:
        done = {step.title for step in steps_of(key_result.milestones) if step.done}
        steps = [{**step, "done": step["title"] in done} for step in steps]
    return steps


def _draft_current(data: Mapping[str, Any], key_result: KeyResult | None, baseline: float) -> float:
    """The typed current value, else the saved one, else the baseline of a new key result."""
    current = _number(data.get("current"))
    if current is not None:
        return current
    return float(key_result.current) if key_result is not None else baseline


def _saved_dates(
    workspace: Workspace, key_result: KeyResult | None, today: date
) -> tuple[date | None, date]:
    """The last check-in and creation days of the saved key result (a new one is created today)."""
    if key_result is None:
        return None, today
    last_check_in_on = (
        timezones.local_date(workspace, key_result.last_check_in_at)
        if key_result.last_check_in_at
        else None
    )
    return last_check_in_on, timezones.local_date(workspace, key_result.created_at)


def _draft_facts(
    *,
    workspace: Workspace,
    objective: Objective,
    key_result: KeyResult | None,
    data: Mapping[str, Any],
    today: date,
    kind: str,
    source: str,
    baseline: float,
    target: float,
) -> math.KeyResultFacts:
    confidence = _number(data.get("confidence"))
    last_check_in_on, created_on = _saved_dates(workspace, key_result, today)
    return math.KeyResultFacts(
        id=key_result.pk if key_result is not None else 0,
        objective_id=objective.pk,
        kind=kind,
        source=source,
        baseline=baseline,
        target=target,
        current=_draft_current(data, key_result, baseline),
        confidence=int(confidence) if confidence is not None else 5,
        last_check_in_on=last_check_in_on,
        created_on=created_on,
        steps=steps_of(_draft_steps(kind, data, key_result)),
    )


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
    facts = _draft_facts(
        workspace=workspace,
        objective=objective,
        key_result=key_result,
        data=data,
        today=today,
        kind=kind,
        source=source,
        baseline=baseline,
        target=target,
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
