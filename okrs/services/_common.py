"""Helpers every OKR service shares: people, open periods and objectives, numbers, titles."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Final

from alignment.errors import FieldErrors
from alignment.guards import not_here
from alignment.models import Membership, User
from okrs.errors import ObjectiveNotOpen, PeriodClosed
from okrs.models import Objective, ObjectiveStatus, Period


class _Unset:
    """Marks an argument the caller did not pass (None is a real value: "no owner")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final[Any] = _Unset()
MAX_ABS_NUMBER = Decimal("99999999999999")  # fits DecimalField(max_digits=18, decimal_places=4)


def ensure_member(actor: Membership, user: User | None, field: str = "owner") -> None:
    """A person set as owner must belong to the workspace."""
    if user is None:
        return
    if not Membership.objects.for_workspace(actor.workspace_id).filter(user=user).exists():
        raise not_here("That person", field)


def ensure_period_open(period: Period) -> None:
    if period.closed_at is not None:
        raise PeriodClosed(period=period.name)


def ensure_objective_open(objective: Objective) -> None:
    ensure_period_open(objective.period)
    if objective.status in (ObjectiveStatus.CLOSED, ObjectiveStatus.ARCHIVED):
        raise ObjectiveNotOpen(objective=objective.title, status=objective.status)


def to_decimal(value: Any, field: str) -> Decimal:
    """A finite number that fits the database column, as a Decimal with 4 places."""
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise FieldErrors({field: "Enter a number."}) from None
    if not number.is_finite() or abs(number) > MAX_ABS_NUMBER:
        raise FieldErrors(
            {field: f"Enter a number between -{MAX_ABS_NUMBER} and {MAX_ABS_NUMBER}."}
        )
    return number.quantize(Decimal("0.0001"))


def to_weight(value: Any, field: str = "weight") -> Decimal:
    number = to_decimal(value, field)
    if number < 0 or number > Decimal("9999.99"):
        raise FieldErrors({field: "Use a weight between 0 and 9999.99."})
    return number.quantize(Decimal("0.01"))


def clean_title(value: Any, field: str = "title", *, max_length: int = 200) -> str:
    text = str(value or "").strip()
    if not text:
        raise FieldErrors({field: "This cannot be empty."})
    if len(text) > max_length:
        raise FieldErrors({field: f"Keep it to {max_length} characters."})
    return text
