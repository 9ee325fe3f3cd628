"""Checks and cleaners every task service shares: roles, people, titles, estimates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from alignment.errors import CrossWorkspaceLink, FieldErrors
from alignment.models import Membership, User

# "Leave this field alone": services take it as the default of every optional change.
UNSET: Any = object()
MAX_ESTIMATE = Decimal("1000")


def ensure_workspace_user(actor: Membership, user: User | None) -> None:
    """People outside the workspace are 'not found', exactly like missing ones."""
    if user is None:
        return
    if not Membership.objects.for_workspace(actor.workspace_id).filter(user=user).exists():
        raise CrossWorkspaceLink(what="That person")


def clean_estimate(value: Decimal | int | float | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        estimate = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise FieldErrors({"estimate": "Must be a number of points."}) from exc
    if not estimate.is_finite() or estimate < 0 or estimate >= MAX_ESTIMATE:
        raise FieldErrors({"estimate": "Use a number of points from 0 to 999.9."})
    if estimate != estimate.quantize(Decimal("0.1")):
        raise FieldErrors({"estimate": "Use at most one decimal place."})
    return estimate.quantize(Decimal("0.1"))


def clean_title(value: str) -> str:
    title = " ".join((value or "").split())
    if not title:
        raise FieldErrors({"title": "Give the task a title."})
    if len(title) > 255:
        raise FieldErrors({"title": "Use at most 255 characters."})
    return title
