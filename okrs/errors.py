"""Refusals of the OKR domain. Each names the rule it enforces."""

from __future__ import annotations

from alignment.errors import Conflict, DomainError


class AlignmentCycle(DomainError):
    status, code = 409, "alignment_cycle"
    message = "{objective} cannot align under {parent}: {parent} already aligns under it."


class PeriodClosed(Conflict):
    code = "period_closed"
    message = "{period} is closed; its objectives and key results can no longer change."


class ObjectiveNotOpen(Conflict):
    code = "objective_not_open"
    message = "{objective} is {status}; reopen or copy it to change it."


class CheckInNotAccepted(DomainError):
    """A key result fed by linked work or aligned objectives: its value is measured, not
    reported, so a check-in carrying a value would contradict its progress."""

    status, code = 409, "check_in_not_accepted"
    message = (
        "“{key_result}” takes its progress from {source}; check-ins with a value are not "
        "accepted. Record confidence and a note without a value, or change the key result's "
        "source to check-ins."
    )


class PeriodOverlap(Conflict):
    """Two periods of a workspace share days and neither says it overlaps on purpose."""

    code = "period_overlap"
    message = (
        "{period} would overlap {others}. Change its dates, or mark it as overlapping on "
        "purpose and say why (e.g. a year that spans the quarters)."
    )
