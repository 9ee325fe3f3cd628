"""Reasons in words: one structured `okrs.progress.Reason` as a plain English sentence.

Pages, the API, findings and the weekly digest all say a reason the same way through
`reason_sentence`; the numbers stay structured in `Reason` for anything that computes.
"""

from __future__ import annotations

from collections.abc import Mapping

from okrs.progress import Reason


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def _names(reason: Reason, names: Mapping[tuple[str, int], str] | None, noun: str) -> str:
    labelled = [names.get(obj) for obj in reason.objects] if names else []
    found = [f"“{label}”" for label in labelled if label]
    if found:
        return ", ".join(found)
    count = len(reason.objects) or int(reason.numbers.get("count", 1))
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _count(number: float, noun: str) -> str:
    count = int(number)
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _basis(numbers: Mapping[str, float]) -> str:
    """What was counted, e.g. 3 key results and 2 aligned objectives (zero parts left out)."""
    parts = []
    if numbers.get("key_results"):
        parts.append(_count(numbers["key_results"], "key result"))
    if numbers.get("objectives"):
        parts.append(_count(numbers["objectives"], "aligned objective"))
    return " and ".join(parts) or "nothing yet"


def reason_sentence(reason: Reason, names: Mapping[tuple[str, int], str] | None = None) -> str:
    """One reason in plain English; `names` maps ("key_result", 12) to a title when known."""
    n = reason.numbers
    code = reason.code
    if code == "behind_pace":
        return (
            f"Progress is {_pct(n['progress'])} but {_pct(n['expected'])} of the period has "
            f"passed ({round(-n['gap'] * 100)} points behind pace)."
        )
    if code == "on_pace":
        return (
            f"Progress is {_pct(n['progress'])}, at or ahead of the {_pct(n['expected'])} "
            "expected by now."
        )
    if code == "slightly_behind":
        return (
            f"Progress is {_pct(n['progress'])}, a little behind the {_pct(n['expected'])} "
            "expected by now, within the tolerance."
        )
    if code == "low_confidence":
        return f"The owner's confidence is {int(n['confidence'])}/10."
    if code == "stale_check_in":
        return (
            f"The last check-in was {int(n['days'])} days ago "
            f"(expected at least every {int(n['limit'])} days)."
        )
    if code == "never_checked_in":
        return f"No check-in yet, {int(n['days'])} days in (expected every {int(n['limit'])})."
    if code == "target_reached":
        return "The target is reached."
    if code == "period_not_started":
        return "The period has not started yet."
    if code == "no_key_results":
        return (
            "This objective has no key results and no objectives aligned under it yet, so its "
            "progress counts as 0%."
        )
    if code == "key_results_off_track":
        return f"Off track: {_names(reason, names, 'key result')}."
    if code == "key_results_at_risk":
        return f"At risk: {_names(reason, names, 'key result')}."
    if code == "aligned_objectives_off_track":
        return f"Aligned objectives off track: {_names(reason, names, 'objective')}."
    if code == "aligned_objectives_at_risk":
        return f"Aligned objectives at risk: {_names(reason, names, 'objective')}."
    if code == "progress_basis":
        return f"Progress from {_basis(n)}, weighted."
    if code == "no_aligned_objectives":
        return "No objectives are aligned under this key result yet, so it counts as 0%."
    if code == "tasks_not_measured":
        return "Progress from linked work is not measured yet; the last reported value is used."
    return code.replace("_", " ").capitalize() + "."
