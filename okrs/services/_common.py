"""Helpers every OKR service shares: roles, workspace checks, numbers, versioned updates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.db.models import F, Model
from django.utils import timezone

from alignment.errors import CrossWorkspaceLink, FieldErrors, RoleRequired, StaleVersion
from alignment.models import Membership, Role, User
from okrs.errors import ObjectiveNotOpen, PeriodClosed
from okrs.models import Objective, ObjectiveStatus, Period


class _Unset:
    """Marks an argument the caller did not pass (None is a real value: "no owner")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final[Any] = _Unset()
MAX_ABS_NUMBER = Decimal("99999999999999")  # fits DecimalField(max_digits=18, decimal_places=4)


def require_role(actor: Membership, role: str) -> None:
    if not actor.has_role(role):
        raise RoleRequired(role=Role(role).label.lower())


def not_here(what: str, field: str) -> CrossWorkspaceLink:
    """404 for an id outside the actor's workspace, naming the field that carried it."""
    error = CrossWorkspaceLink(what=what)
    error.fields = {field: [f"{what} was not found in this workspace."]}
    return error


def ensure_in_workspace(actor: Membership, obj: Model | None, what: str, field: str) -> None:
    if obj is not None and obj.workspace_id != actor.workspace_id:  # type: ignore[attr-defined]
        raise not_here(what, field)


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


def versioned_update(obj: Model, *, expected_version: int | None, fields: dict[str, Any]) -> bool:
    """UPDATE … WHERE version = expected (when given), bumping the version; StaleVersion if
    someone changed the row first. The comparison happens inside the UPDATE, not before it.

    A write that changes no field changes nothing: no new version (which would make other
    clients' ETags stale for nothing); the expected version is still checked. Returns whether
    the row changed, so callers audit and publish only real changes.
    """
    model = type(obj)
    rows = model._default_manager.filter(pk=obj.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not changes(obj, fields):
        if expected_version is not None and not rows.exists():
            current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True)
            raise StaleVersion(object=str(obj), current=current.first())
        return False
    changed = rows.update(**fields, version=F("version") + 1, updated_at=timezone.now())
    if not changed:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True)
        raise StaleVersion(object=str(obj), current=current.first())
    obj.refresh_from_db()
    return True


def changes(obj: Model, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields whose new value differs from `obj`'s (a related object compares by id)."""
    different: dict[str, Any] = {}
    for name, value in fields.items():
        field = obj._meta.get_field(name)
        if field.is_relation and field.concrete:
            now = getattr(obj, field.attname)  # type: ignore[union-attr]
            new = value.pk if isinstance(value, Model) else value
        else:
            now, new = getattr(obj, name), value
        if now != new:
            different[name] = value
    return different
