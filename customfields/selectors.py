"""Reads of custom fields: definitions, values of a page of tasks, filters and sorting.

Values of many tasks are read in one query (cards, CSV rows, API lists); a filter is a
subquery on the indexed value table (`task in (…)`), so a task appears once and the board's
windows and keyset pages count it truly; sorting annotates the first value of the field.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, OuterRef, Q, QuerySet, Subquery

from alignment.models import Membership
from alignment.parsing import is_digits
from customfields import values as cleaning
from customfields.models import (
    CustomField,
    CustomFieldOption,
    CustomFieldValue,
    FieldKind,
)
from customfields.services import names_for

logger = logging.getLogger(__name__)


def fields_for_workspace(
    viewer: Membership, *, include_archived: bool = False
) -> list[CustomField]:
    """The fields `viewer` may see (a private team's own fields hide with it), in order."""
    fields = CustomField.objects.visible_to(viewer).select_related("team")
    if not include_archived:
        fields = fields.active()
    return list(fields.prefetch_related("options").order_by("position", "pk"))


@dataclass(frozen=True)
class ShownValue:
    field: CustomField
    rows: list[CustomFieldValue]
    text: str  # as people read it ("" when empty)

    @property
    def value(self) -> Any:
        return cleaning.api_value(self.field, self.rows)


def values_by_task(
    task_ids: Sequence[int], fields: Sequence[CustomField]
) -> dict[int, dict[int, list[CustomFieldValue]]]:
    """task id → field id → rows, for `fields` only (one query whatever the number of tasks)."""
    if not task_ids or not fields:
        return {}
    found: dict[int, dict[int, list[CustomFieldValue]]] = {}
    rows = CustomFieldValue.objects.filter(
        task_id__in=list(task_ids), field_id__in=[f.pk for f in fields]
    ).order_by("task_id", "field_id", "option__position", "pk")
    for row in rows:
        found.setdefault(row.task_id, {}).setdefault(row.field_id, []).append(row)
    return found


def shown_values(
    task_ids: Sequence[int], fields: Sequence[CustomField], *, skip_empty: bool = False
) -> dict[int, list[ShownValue]]:
    """task id → its values of `fields` in order, with the text people read."""
    found = values_by_task(task_ids, fields)
    names = names_for(
        row for by_field in found.values() for rows in by_field.values() for row in rows
    )
    shown: dict[int, list[ShownValue]] = {}
    for task_id in task_ids:
        by_field = found.get(task_id, {})
        for field in fields:
            rows = by_field.get(field.pk, [])
            if skip_empty and not rows:
                continue
            shown.setdefault(task_id, []).append(
                ShownValue(field=field, rows=rows, text=cleaning.display(field, rows, names))
            )
    return shown


# --- Filters and sorting -------------------------------------------------------------------

OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
LOOKUPS = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt"}


@dataclass(frozen=True)
class Condition:
    field: CustomField
    operator: str  # one of OPERATORS
    value: str  # as typed; "none" with = or != means empty


def split_condition(text: str) -> tuple[str, str, str] | None:
    """`Customer=Acme` → ("Customer", "=", "Acme"); the first operator wins."""
    best: tuple[int, str] | None = None
    for operator in OPERATORS:
        index = text.find(operator)
        if index > 0 and (
            best is None or index < best[0] or (index == best[0] and len(operator) > len(best[1]))
        ):
            best = (index, operator)
    if best is None:
        return None
    index, operator = best
    return text[:index].strip(), operator, text[index + len(operator) :].strip()


def condition_q(condition: Condition, *, workspace_id: int) -> Q:
    """Tasks whose value of the field meets the condition (a subquery on the value table).

    Raises CustomFieldValueInvalid (naming the field) for a value of the wrong type, an
    unknown option or person, or an operator the kind does not have."""
    field, operator, raw = condition.field, condition.operator, condition.value
    rows = CustomFieldValue.objects.filter(workspace_id=workspace_id, field=field)
    if raw.lower() == "none" and operator in ("=", "!="):
        has_value = Q(pk__in=rows.values("task_id"))
        return ~has_value if operator == "=" else has_value
    kind = field.kind
    if operator == "~":
        if kind not in (FieldKind.TEXT, FieldKind.URL):
            raise cleaning._bad(field, "“~” (contains) works on text and URL fields.")
        return Q(pk__in=rows.filter(text__icontains=raw).values("task_id"))
    if operator in LOOKUPS:
        if kind == FieldKind.NUMBER:
            value: Any = cleaning.clean_number(field, raw)
            column = "number"
        elif kind == FieldKind.DATE:
            value, column = cleaning.clean_date(field, raw), "date"
        else:
            raise cleaning._bad(field, f"“{operator}” works on number and date fields.")
        return Q(pk__in=rows.filter(**{f"{column}__{LOOKUPS[operator]}": value}).values("task_id"))
    match = _equal_rows(field, raw, rows, workspace_id=workspace_id)
    matching = Q(pk__in=match.values("task_id"))
    return ~matching if operator == "!=" else matching


def _equal_rows(
    field: CustomField, raw: str, rows: QuerySet[CustomFieldValue], *, workspace_id: int
) -> QuerySet[CustomFieldValue]:
    kind = field.kind
    if kind in (FieldKind.TEXT, FieldKind.URL):
        return rows.filter(text__iexact=raw)
    if kind == FieldKind.NUMBER:
        return rows.filter(number=cleaning.clean_number(field, raw))
    if kind == FieldKind.DATE:
        return rows.filter(date=cleaning.clean_date(field, raw))
    if kind == FieldKind.PERSON:
        if raw.lower() == "me":
            raise cleaning._bad(field, "Use an e-mail address or a user id.")
        return rows.filter(person_id=cleaning.clean_person(field, raw, workspace_id=workspace_id))
    option = cleaning.find_option(field, raw, CustomFieldOption.objects.filter(field=field))
    return rows.filter(option=option)


def sort_key(field: CustomField, *, descending: bool = False) -> Any:
    """An expression to order tasks by a field: its value (a select by the option's position,
    a person by name); tasks without a value come last either way."""
    rows = CustomFieldValue.objects.filter(field=field, task_id=OuterRef("pk"))
    if field.kind in (FieldKind.SELECT, FieldKind.MULTI_SELECT):
        value = Subquery(
            rows.values("task_id").annotate(first=Min("option__position")).values("first")[:1]
        )
    elif field.kind == FieldKind.PERSON:
        value = Subquery(rows.order_by("person__full_name").values("person__full_name")[:1])
    else:
        column = cleaning_column(field)
        value = Subquery(rows.order_by(column).values(column)[:1])
    return value.desc(nulls_last=True) if descending else value.asc(nulls_last=True)


def cleaning_column(field: CustomField) -> str:
    return {
        FieldKind.NUMBER: "number",
        FieldKind.DATE: "date",
    }.get(FieldKind(field.kind), "text")


def resolve_visible_field(viewer: Membership, name: str) -> CustomField | None:
    """An active field `viewer` may see, by name (case-insensitive) or id."""
    fields = fields_for_workspace(viewer)
    wanted = name.strip().casefold()
    for field in fields:
        if field.name.casefold() == wanted or (is_digits(wanted) and field.pk == int(wanted)):
            return field
    return None


CARD_FIELDS_TTL_SECONDS = 300


def _card_fields_key(workspace_id: int) -> str:
    return f"customfields:card-fields:v1:{workspace_id}"


def card_field_ids(workspace_id: int) -> list[int]:
    """Ids of the active fields shown on cards, in order. Read from the cache (a board of a
    workspace without such fields then costs no query at all); on a miss, one query. A cache
    outage falls back to the query."""
    key = _card_fields_key(workspace_id)
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - any cache failure: read the database instead
        logger.warning("Custom field cache unavailable; reading card fields")
        cached = None
    if cached is not None:
        return list(cached)
    ids = list(
        CustomField.objects.for_workspace(workspace_id)
        .active()
        .filter(show_on_cards=True)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    try:
        cache.set(key, ids, timeout=CARD_FIELDS_TTL_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("Custom field cache unavailable; not caching")
    return ids


def forget_card_fields(workspace_id: int) -> None:
    """Drop the cached ids now and again after commit: a reader between our write and our
    commit may have cached the old list."""
    key = _card_fields_key(workspace_id)

    def drop() -> None:
        try:
            cache.delete(key)
        except Exception:  # noqa: BLE001
            logger.warning("Custom field cache unavailable; the entry expires on its own")

    drop()
    transaction.on_commit(drop)
