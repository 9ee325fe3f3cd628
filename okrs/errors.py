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
