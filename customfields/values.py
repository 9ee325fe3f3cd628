"""Turning raw input into typed value rows, and typed rows back into what people read.

Pure of writes: `clean_value` answers the column values of the rows a field's value needs
(none: cleared), or raises CustomFieldValueInvalid naming the field. The API, the HTML form,
CSV and Jira imports all come through here, so they accept and refuse exactly the same things.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from alignment.models import Membership
from alignment.parsing import is_digits
from customfields.errors import CustomFieldValueInvalid
from customfields.models import CustomField, CustomFieldOption, CustomFieldValue, FieldKind

MAX_TEXT = 500
MAX_NUMBER = Decimal("1e14")
MAX_ID = 2**63  # ids are 64-bit integers
_url = URLValidator(schemes=["http", "https"])

Row = dict[str, Any]  # column name → value, for one CustomFieldValue row


def _bad(field: CustomField, problem: str) -> CustomFieldValueInvalid:
    return CustomFieldValueInvalid(field=field.name, problem=problem)


def is_empty(raw: Any) -> bool:
    return raw is None or raw == "" or raw == [] or (isinstance(raw, str) and not raw.strip())


def clean_value(
    field: CustomField,
    raw: Any,
    *,
    options: Iterable[CustomFieldOption],
    workspace_id: int,
) -> list[Row]:
    """The rows `raw` becomes for `field`: [] clears it. `options` are the field's options."""
    if is_empty(raw):
        return []
    kind = field.kind
    if kind in (FieldKind.TEXT, FieldKind.URL):
        if not isinstance(raw, str | int | float) or isinstance(raw, bool):
            raise _bad(field, "Must be text.")
        text = " ".join(str(raw).split())
        if len(text) > MAX_TEXT:
            raise _bad(field, f"Use at most {MAX_TEXT} characters.")
        if kind == FieldKind.URL:
            try:
                _url(text)
            except ValidationError as exc:
                raise _bad(
                    field, "Must be a web address starting with http:// or https://."
                ) from exc
        return [{"text": text}]
    if kind == FieldKind.NUMBER:
        return [{"number": clean_number(field, raw)}]
    if kind == FieldKind.DATE:
        return [{"date": clean_date(field, raw)}]
    if kind == FieldKind.PERSON:
        return [{"person_id": clean_person(field, raw, workspace_id=workspace_id)}]
    active = [option for option in options if not option.is_archived]
    if kind == FieldKind.SELECT:
        if isinstance(raw, list):
            if len(raw) != 1:
                raise _bad(field, "Choose one option.")
            raw = raw[0]
        return [{"option_id": find_option(field, raw, active).pk}]
    items = raw if isinstance(raw, list) else str(raw).split(",")
    chosen: dict[int, None] = {}
    for item in items:
        if not is_empty(item):
            chosen[find_option(field, item, active).pk] = None
    return [{"option_id": pk} for pk in chosen]


def clean_number(field: CustomField, raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise _bad(field, "Must be a number.")
    try:
        number = (
            Decimal(str(raw).strip().replace(",", ""))
            if isinstance(raw, str)
            else Decimal(str(raw))
        )
    except (InvalidOperation, ValueError) as exc:
        raise _bad(field, f"“{raw}” is not a number.") from exc
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise _bad(field, "Use a number below 100,000,000,000,000.")
    if number != number.quantize(Decimal("0.0001")):
        raise _bad(field, "Use at most four decimal places.")
    return number


def clean_date(field: CustomField, raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError as exc:
        raise _bad(field, f"“{raw}” is not a date; use YYYY-MM-DD.") from exc


def clean_person(field: CustomField, raw: Any, *, workspace_id: int) -> int:
    """A member of the workspace, by user id or e-mail; anyone else is unknown."""
    members = Membership.objects.for_workspace(workspace_id)
    if isinstance(raw, str) and is_digits(raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, int) and not isinstance(raw, bool):
        # An id past the column's range is nobody (the database would refuse the lookup).
        found = members.filter(user_id=raw) if 0 < raw < MAX_ID else members.none()
    elif isinstance(raw, str):
        found = members.filter(user__email__iexact=raw.strip())
    else:
        raise _bad(field, "Must be a person: a user id or an e-mail address.")
    user_id = found.values_list("user_id", flat=True).first()
    if user_id is None:
        raise _bad(field, f"No member “{raw}” in this workspace.")
    return user_id


def find_option(
    field: CustomField, raw: Any, options: Iterable[CustomFieldOption]
) -> CustomFieldOption:
    """An active option by id or by label (case-insensitive)."""
    options = list(options)
    if isinstance(raw, int) and not isinstance(raw, bool):
        match = [o for o in options if o.pk == raw]
    elif isinstance(raw, str):
        wanted = raw.strip().casefold()
        match = [o for o in options if o.label.casefold() == wanted]
        if not match and is_digits(wanted):
            match = [o for o in options if o.pk == int(wanted)]
    else:
        match = []
    if not match:
        labels = ", ".join(o.label for o in options) or "none yet"
        raise _bad(field, f"“{raw}” is not an option. Options: {labels}.")
    return match[0]


def display(field: CustomField, rows: Iterable[CustomFieldValue], names: Mapping[Any, str]) -> str:
    """What a person reads for a field's rows (`names`: option and person ids → labels)."""
    parts: list[str] = []
    for row in rows:
        if row.option_id is not None:
            parts.append(names.get(("option", row.option_id), ""))
        elif row.person_id is not None:
            parts.append(names.get(("person", row.person_id), ""))
        elif row.number is not None:
            parts.append(format_number(row.number))
        elif row.date is not None:
            parts.append(row.date.isoformat())
        elif row.text is not None:
            parts.append(row.text)
    return ", ".join(p for p in parts if p)


def format_number(number: Decimal) -> str:
    return format(number.normalize(), "f")


def api_value(field: CustomField, rows: list[CustomFieldValue]) -> Any:
    """The JSON value of a field (what the API reads and accepts back)."""
    if not rows:
        return [] if field.kind == FieldKind.MULTI_SELECT else None
    if field.kind == FieldKind.MULTI_SELECT:
        return [row.option_id for row in rows]
    row = rows[0]
    if field.kind == FieldKind.SELECT:
        return row.option_id
    if field.kind == FieldKind.PERSON:
        return row.person_id
    if field.kind == FieldKind.NUMBER:
        return None if row.number is None else format_number(row.number)
    if field.kind == FieldKind.DATE:
        return None if row.date is None else row.date.isoformat()
    return row.text
