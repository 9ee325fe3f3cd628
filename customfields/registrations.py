"""What custom fields add to the tasks app through its explicit registries: a badge provider
for board cards and the `cf:` / `sort:` search qualifiers (tasks never imports this app)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from alignment.lookups import Ids
from alignment.models import Membership
from alignment.parsing import is_digits
from customfields import selectors, services
from customfields.errors import CustomFieldValueInvalid
from customfields.models import CustomFieldValue, FieldKind
from customfields.values import format_number
from tasks import card_badges, custom_values, search_query
from tasks.models import Task
from tasks.search_query import Qualifier, SearchQueryInvalid

CF_HINT = 'a custom field and a value, e.g. "Customer=Acme", "Deal size>=1000", "Region=none"'
SORT_HINT = 'a custom field to order by, e.g. "Deal size" (or "-Deal size": largest first)'
CARD_VALUE = 40  # characters of a value on a card


def card_badges_for(workspace_id: int, keys: Sequence[str]) -> dict[str, SafeString]:
    """Values of the fields shown on cards, for a page of cards in one query."""
    pairs = [key.rsplit("-", 1) for key in keys if "-" in key]
    numbers = {int(n) for _, n in pairs if is_digits(n)}
    team_keys = {team for team, _ in pairs}
    if not numbers:
        return {}
    field_ids = selectors.card_field_ids(workspace_id)
    if not field_ids:
        return {}  # no field is shown on cards: no query at all
    rows = (
        CustomFieldValue.objects.for_workspace(workspace_id)
        .filter(
            field_id__in=field_ids,
            task__number__in=numbers,
            task__team__key__in=team_keys,
        )
        .order_by("field__position", "field_id", "option__position", "pk")
        .values_list(
            "task__team__key",
            "task__number",
            "field_id",
            "field__name",
            "field__kind",
            "text",
            "number",
            "date",
            "option__label",
            "person__full_name",
            "person__email",
        )
    )
    wanted = set(keys)
    parts: dict[str, dict[int, tuple[str, list[str]]]] = {}
    for team, number, field_id, name, kind, text, num, day, label, full_name, email in rows:
        key = f"{team}-{number}"
        if key not in wanted:
            continue
        shown = _shown(kind, text, num, day, label, full_name, email)
        parts.setdefault(key, {}).setdefault(field_id, (name, []))[1].append(shown)
    return {
        key: mark_safe(
            "".join(
                f'<span class="badge neutral cf-badge" title="{escape(name)}: '
                f'{escape(", ".join(values))}">{escape(_short(", ".join(values)))}</span>'
                for name, values in by_field.values()
            )
        )
        for key, by_field in parts.items()
    }


def _shown(
    kind: str,
    text: str | None,
    number: Decimal | None,
    day: Any,
    label: str | None,
    full_name: str | None,
    email: str | None,
) -> str:
    if kind in (FieldKind.SELECT, FieldKind.MULTI_SELECT):
        return label or ""
    if kind == FieldKind.PERSON:
        return full_name or (email or "").split("@")[0]
    if kind == FieldKind.NUMBER and number is not None:
        return format_number(number)
    if kind == FieldKind.DATE and day is not None:
        return day.isoformat()
    return text or ""


def _short(text: str) -> str:
    return text if len(text) <= CARD_VALUE else text[: CARD_VALUE - 1] + "…"


def cf_filter(value: str, viewer: Membership) -> Any:
    """`cf:"Customer=Acme"`: tasks whose field meets the condition (see docs/custom-fields.md)."""
    parts = selectors.split_condition(value)
    if parts is None or not parts[0]:
        raise SearchQueryInvalid(
            f'“cf:{value}” needs a field, an operator and a value, e.g. cf:"Customer=Acme".',
            qualifier="cf",
        )
    name, operator, raw = parts
    field = selectors.resolve_visible_field(viewer, name)
    if field is None:
        raise SearchQueryInvalid(f"No custom field “{name}”.", qualifier="cf", value=name)
    if not raw:
        raise SearchQueryInvalid(
            f"“cf:{name}{operator}” needs a value (or “none”).", qualifier="cf", value=name
        )
    try:
        return selectors.condition_q(
            selectors.Condition(field=field, operator=operator, value=raw),
            workspace_id=viewer.workspace_id,
        )
    except CustomFieldValueInvalid as exc:
        raise SearchQueryInvalid(exc.text, qualifier="cf", value=name) from exc


def cf_order(value: str, viewer: Membership) -> Any:
    """`sort:"Deal size"` (ascending) or `sort:"-Deal size"`; empty values last."""
    descending = value.startswith("-")
    name = value.lstrip("-").strip()
    field = selectors.resolve_visible_field(viewer, name)
    if field is None:
        raise SearchQueryInvalid(
            f"No custom field “{name}” to sort by.", qualifier="sort", value=name
        )
    return selectors.sort_key(field, descending=descending)


def task_api_values(workspace_id: int, task_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Task id → {field name: value} for the task API, for a page of tasks in one query:
    the set values of active fields, in the fields' order, as `api_value` writes them (a
    multi select's option ids, a person's user id, a number as a decimal string)."""
    rows = (
        CustomFieldValue.objects.for_workspace(workspace_id)
        .filter(task_id__in_ids=Ids(task_ids), field__is_archived=False)
        .order_by("field__position", "field_id", "option__position", "pk")
        .values_list(
            "task_id",
            "field__name",
            "field__kind",
            "text",
            "number",
            "date",
            "option_id",
            "person_id",
        )
    )
    found: dict[int, dict[str, Any]] = {}
    for task_id, name, kind, text, number, day, option_id, person_id in rows:
        values = found.setdefault(task_id, {})
        if kind == FieldKind.MULTI_SELECT:
            values.setdefault(name, []).append(option_id)
        elif name in values:
            continue  # one row per single-valued field; keep the first like api_value
        elif kind == FieldKind.SELECT:
            values[name] = option_id
        elif kind == FieldKind.PERSON:
            values[name] = person_id
        elif kind == FieldKind.NUMBER:
            values[name] = None if number is None else format_number(number)
        elif kind == FieldKind.DATE:
            values[name] = None if day is None else day.isoformat()
        else:
            values[name] = text
    return found


def task_api_write(
    actor: Membership, task: Task, values: Mapping[Any, Any], expected_version: int | None
) -> None:
    services.custom_values_set(
        actor=actor, task=task, values=values, expected_version=expected_version
    )


def task_first_values(actor: Membership, task: Task, values: Mapping[Any, Any]) -> dict[str, str]:
    return services.custom_values_initial(actor=actor, task=task, values=values)


def connect() -> None:
    custom_values.register(reader=task_api_values, writer=task_api_write, creator=task_first_values)
    card_badges.register(card_badges_for)
    search_query.register_qualifier("cf", Qualifier(hint=CF_HINT, to_q=cf_filter))
    search_query.register_qualifier("sort", Qualifier(hint=SORT_HINT, to_order=cf_order))
