"""Writes of custom fields: definitions (admins) and values on tasks (members).

Definitions are the workspace's settings; values change a task, so setting them bumps the
task's version (a stale copy is refused with 409, like any other edit of the task) and is
audited and published as a task change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower

from alignment.audit import audit_by
from alignment.events import publish_on_commit
from alignment.guards import ensure_same_workspace, require_admin, require_member
from alignment.models import Membership, Team, User
from alignment.parsing import is_digits
from alignment.versioning import save_versioned
from customfields import values as cleaning
from customfields.errors import CustomFieldDefinitionInvalid, CustomFieldValueInvalid
from customfields.events import CustomFieldDefined, CustomFieldValuesChanged
from customfields.models import (
    CustomField,
    CustomFieldOption,
    CustomFieldValue,
    FieldKind,
)
from tasks.events import TaskChanged
from tasks.models import Task
from tasks.services.rules import UNSET

MAX_FIELDS = 50
MAX_OPTIONS = 100


def _clean_name(name: str, *, what: str = "name", limit: int = 60) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise CustomFieldDefinitionInvalid(field=what, problem=f"Give it a {what}.")
    if len(cleaned) > limit:
        raise CustomFieldDefinitionInvalid(field=what, problem=f"Use at most {limit} characters.")
    return cleaned


def _name_taken(workspace_id: int, name: str, *, exclude: int | None = None) -> bool:
    rows = CustomField.objects.for_workspace(workspace_id).annotate(lower=Lower("name"))
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.filter(lower=name.lower()).exists()


def _clean_labels(labels: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for raw in labels:
        label = " ".join((raw or "").split())
        if label:
            if len(label) > 60:
                raise CustomFieldDefinitionInvalid(
                    field="options", problem=f"“{label[:20]}…”: use at most 60 characters."
                )
            seen.setdefault(label.casefold(), label)
    if len(seen) > MAX_OPTIONS:
        raise CustomFieldDefinitionInvalid(
            field="options", problem=f"Use at most {MAX_OPTIONS} options."
        )
    return list(seen.values())


@transaction.atomic
def custom_field_create(
    *,
    actor: Membership,
    name: str,
    kind: str,
    team: Team | None = None,
    description: str = "",
    show_on_cards: bool = False,
    options: Sequence[str] = (),
) -> CustomField:
    """Define a field for the workspace's tasks (or one team's); selects need options."""
    require_admin(actor)
    if team is not None:
        ensure_same_workspace(actor, team)
    name = _clean_name(name)
    if kind not in FieldKind.values:
        raise CustomFieldDefinitionInvalid(
            field="kind", problem=f"Use one of {', '.join(FieldKind.values)}."
        )
    if _name_taken(actor.workspace_id, name):
        raise CustomFieldDefinitionInvalid(field="name", problem=f"“{name}” is already a field.")
    workspace_fields = CustomField.objects.for_workspace(actor.workspace_id)
    if workspace_fields.count() >= MAX_FIELDS:
        raise CustomFieldDefinitionInvalid(
            field="name", problem=f"A workspace has at most {MAX_FIELDS} custom fields."
        )
    labels = _clean_labels(options)
    if kind in (FieldKind.SELECT, FieldKind.MULTI_SELECT) and not labels:
        raise CustomFieldDefinitionInvalid(field="options", problem="A select needs options.")
    last = workspace_fields.aggregate(last=Max("position"))["last"]
    field = CustomField.objects.create(
        workspace_id=actor.workspace_id,
        team=team,
        name=name,
        kind=kind,
        description=(description or "").strip()[:200],
        show_on_cards=show_on_cards,
        position=0 if last is None else last + 1,
    )
    if field.is_select:
        CustomFieldOption.objects.bulk_create(
            CustomFieldOption(workspace_id=field.workspace_id, field=field, label=label, position=i)
            for i, label in enumerate(labels)
        )
    audit_by(actor, verb="custom_field.created", obj=field, after={"name": name, "kind": kind})
    _defined(actor, field, "created")
    return field


@transaction.atomic
def custom_field_update(
    *,
    actor: Membership,
    field: CustomField,
    expected_version: int | None = None,
    name: str = UNSET,
    description: str = UNSET,
    show_on_cards: bool = UNSET,
    is_archived: bool = UNSET,
) -> CustomField:
    """Rename, describe, show on cards, archive or restore a field (its kind and team stay:
    values already written depend on them). Archived fields keep their values, hidden."""
    require_admin(actor)
    ensure_same_workspace(actor, field)
    before = {"name": field.name, "is_archived": field.is_archived}
    if name is not UNSET:
        name = _clean_name(name)
        if _name_taken(field.workspace_id, name, exclude=field.pk):
            raise CustomFieldDefinitionInvalid(
                field="name", problem=f"“{name}” is already a field."
            )
        field.name = name
    if description is not UNSET:
        field.description = (description or "").strip()[:200]
    if show_on_cards is not UNSET:
        field.show_on_cards = bool(show_on_cards)
    if is_archived is not UNSET:
        field.is_archived = bool(is_archived)
    save_versioned(
        field,
        expected_version=expected_version,
        fields=["name", "description", "show_on_cards", "is_archived"],
        label=f"Field {field.name}",
    )
    audit_by(
        actor,
        verb="custom_field.updated",
        obj=field,
        before=before,
        after={"name": field.name, "is_archived": field.is_archived},
    )
    verb = "updated"
    if before["is_archived"] != field.is_archived:
        verb = "archived" if field.is_archived else "restored"
    _defined(actor, field, verb)
    return field


@transaction.atomic
def custom_field_move(*, actor: Membership, field: CustomField, step: int) -> CustomField:
    """Swap a field with its neighbour in the workspace's order, then renumber 0..n-1."""
    require_admin(actor)
    ensure_same_workspace(actor, field)
    fields = list(
        CustomField.objects.for_workspace(field.workspace_id)
        .select_for_update()
        .order_by("position", "pk")
    )
    index = next(i for i, each in enumerate(fields) if each.pk == field.pk)
    target = index + step
    if 0 <= target < len(fields):
        fields[index], fields[target] = fields[target], fields[index]
    for position, each in enumerate(fields):
        if each.position != position:
            CustomField.objects.filter(pk=each.pk).update(position=position)
            each.position = position
    field.refresh_from_db(fields=["position"])
    _defined(actor, field, "moved")
    return field


@transaction.atomic
def custom_field_option_add(
    *, actor: Membership, field: CustomField, label: str
) -> CustomFieldOption:
    """A new option at the end of a select's list."""
    require_admin(actor)
    ensure_same_workspace(actor, field)
    if not field.is_select:
        raise CustomFieldDefinitionInvalid(
            field="label", problem=f"“{field.name}” is not a select: it has no options."
        )
    (label,) = _clean_labels([label]) or [""]
    if not label:
        raise CustomFieldDefinitionInvalid(field="label", problem="Give the option a label.")
    existing = CustomFieldOption.objects.filter(field=field)
    if existing.count() >= MAX_OPTIONS:
        raise CustomFieldDefinitionInvalid(
            field="label", problem=f"Use at most {MAX_OPTIONS} options."
        )
    last = existing.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            option = CustomFieldOption.objects.create(
                workspace_id=field.workspace_id,
                field=field,
                label=label,
                position=0 if last is None else last + 1,
            )
    except IntegrityError as exc:
        raise CustomFieldDefinitionInvalid(
            field="label", problem=f"“{label}” is already an option of {field.name}."
        ) from exc
    _defined(actor, field, "updated")
    return option


@transaction.atomic
def custom_field_option_update(
    *,
    actor: Membership,
    option: CustomFieldOption,
    label: str = UNSET,
    is_archived: bool = UNSET,
) -> CustomFieldOption:
    """Rename an option (values follow: they point at it) or archive it (no new choices)."""
    require_admin(actor)
    ensure_same_workspace(actor, option)
    if label is not UNSET:
        (cleaned,) = _clean_labels([label]) or [""]
        if not cleaned:
            raise CustomFieldDefinitionInvalid(field="label", problem="Give the option a label.")
        taken = (
            CustomFieldOption.objects.filter(field_id=option.field_id)
            .exclude(pk=option.pk)
            .annotate(lower=Lower("label"))
            .filter(lower=cleaned.lower())
        )
        if taken.exists():
            raise CustomFieldDefinitionInvalid(
                field="label", problem=f"“{cleaned}” is already an option."
            )
        option.label = cleaned
    if is_archived is not UNSET:
        option.is_archived = bool(is_archived)
    option.save(update_fields=["label", "is_archived"])
    _defined(actor, option.field, "updated")
    return option


def _defined(actor: Membership, field: CustomField, verb: str) -> None:
    # Cards read which fields they show from the cache (customfields.selectors).
    from customfields.selectors import forget_card_fields

    forget_card_fields(field.workspace_id)
    publish_on_commit(
        CustomFieldDefined(
            workspace_id=field.workspace_id, field_id=field.pk, verb=verb, actor_id=actor.user_id
        )
    )


def fields_of_task(task: Task, *, include_archived: bool = False) -> list[CustomField]:
    """The fields a task has: the workspace's and its team's, in order, with options."""
    fields = CustomField.objects.for_workspace(task.workspace_id).for_team(task.team_id)
    if not include_archived:
        fields = fields.active()
    return list(fields.prefetch_related("options").order_by("position", "pk"))


def resolve_field(fields: Sequence[CustomField], ref: Any) -> CustomField | None:
    """A field among `fields` by id or by name (case-insensitive)."""
    if isinstance(ref, CustomField):
        return next((f for f in fields if f.pk == ref.pk), None)
    if isinstance(ref, int) or is_digits(ref):
        found = next((f for f in fields if f.pk == int(ref)), None)
        if found is not None:
            return found
    wanted = str(ref).strip().casefold()
    return next((f for f in fields if f.name.casefold() == wanted), None)


def names_for(rows: Iterable[CustomFieldValue]) -> dict[Any, str]:
    """Labels of the options and people `rows` point at (two small queries at most)."""
    rows = list(rows)
    option_ids = {r.option_id for r in rows if r.option_id}
    person_ids = {r.person_id for r in rows if r.person_id}
    names: dict[Any, str] = {}
    if option_ids:
        for pk, label in CustomFieldOption.objects.filter(pk__in=option_ids).values_list(
            "pk", "label"
        ):
            names["option", pk] = label
    if person_ids:
        for user in User.objects.filter(pk__in=person_ids):
            names["person", user.pk] = user.display_name
    return names


def _cleaned(
    task: Task, values: Mapping[Any, Any], *, where: str
) -> dict[int, tuple[CustomField, list[dict[str, Any]]]]:
    """Field id → (field, rows) for every value, each checked against the task's fields; the
    first value that does not fit raises CustomFieldValueInvalid naming it (`where`: the
    task, as the message names it)."""
    fields = fields_of_task(task)
    wanted: dict[int, tuple[CustomField, list[dict[str, Any]]]] = {}
    for ref, raw in values.items():
        field = resolve_field(fields, ref)
        if field is None:
            raise CustomFieldValueInvalid(
                field=str(ref), problem=f"No custom field “{ref}” on {where}."
            )
        rows = cleaning.clean_value(
            field, raw, options=field.options.all(), workspace_id=task.workspace_id
        )
        wanted[field.pk] = (field, rows)
    return wanted


def custom_values_initial(
    *, actor: Membership, task: Task, values: Mapping[Any, Any]
) -> dict[str, str]:
    """The first values of a task being created (inside `task_create`'s transaction, before
    it publishes TaskCreated, so every subscriber reads them). Checked like
    `custom_values_set`, all or nothing; no version bump and no change event: the creation is
    the event. Returns field name → what a person reads, for the creation's audit entry."""
    require_member(actor)
    ensure_same_workspace(actor, task)
    # The new task's key is not news yet (a refusal rolls it back): name its team.
    wanted = _cleaned(task, values, where=f"tasks of team {task.team.key}")
    new_rows = [
        CustomFieldValue(workspace_id=task.workspace_id, task=task, field=field, **columns)
        for field, rows in wanted.values()
        for columns in rows
    ]
    CustomFieldValue.objects.bulk_create(new_rows)
    names = names_for(new_rows)
    return {
        field.name: cleaning.display(field, [r for r in new_rows if r.field_id == field.pk], names)
        for field, rows in wanted.values()
        if rows
    }


@transaction.atomic
def custom_values_set(
    *,
    actor: Membership,
    task: Task,
    values: Mapping[Any, Any],
    expected_version: int | None = None,
) -> list[CustomField]:
    """Set (or clear, with None/""/[]) custom field values of a task, by field id or name.

    Every value is checked before anything is written: one bad value refuses them all
    (CustomFieldValueInvalid names the field). Returns the fields that really changed."""
    require_member(actor)
    ensure_same_workspace(actor, task)
    wanted = _cleaned(task, values, where=task.key)
    current_rows = list(
        CustomFieldValue.objects.filter(task=task, field_id__in=list(wanted)).order_by("pk")
    )
    current: dict[int, list[CustomFieldValue]] = {}
    for row in current_rows:
        current.setdefault(row.field_id, []).append(row)
    changed: list[CustomField] = []
    for field_id, (field, rows) in wanted.items():
        old = [_columns(row) for row in current.get(field_id, [])]
        new = [_normalized(row) for row in rows]
        if sorted(map(_key, old)) != sorted(map(_key, new)):
            changed.append(field)
    if not changed:
        if expected_version is not None and expected_version != task.version:
            save_versioned(task, expected_version=expected_version, fields=[], label=task.key)
        return []
    # The task's version first: a stale copy is refused before any value is written.
    save_versioned(task, expected_version=expected_version, fields=[], label=f"Task {task.key}")
    before_names = names_for(current_rows)
    before = tuple(
        (f.name, cleaning.display(f, current.get(f.pk, []), before_names)) for f in changed
    )
    CustomFieldValue.objects.filter(task=task, field_id__in=[f.pk for f in changed]).delete()
    new_rows = [
        CustomFieldValue(workspace_id=task.workspace_id, task=task, field=field, **columns)
        for field in changed
        for columns in wanted[field.pk][1]
    ]
    CustomFieldValue.objects.bulk_create(new_rows)
    after_names = names_for(new_rows)
    after = tuple(
        (f.name, cleaning.display(f, [r for r in new_rows if r.field_id == f.pk], after_names))
        for f in changed
    )
    audit_by(
        actor,
        verb="task.custom_fields_changed",
        obj=task,
        before=dict(before),
        after={"key": task.key, **dict(after)},
    )
    publish_on_commit(
        CustomFieldValuesChanged(
            workspace_id=task.workspace_id,
            task_id=task.pk,
            field_ids=tuple(f.pk for f in changed),
            before=before,
            after=after,
            actor_id=actor.user_id,
        )
    )
    # Webhooks, live pages and freshness treat it as any other edit of the task.
    publish_on_commit(
        TaskChanged(
            workspace_id=task.workspace_id,
            task_id=task.pk,
            fields=("custom_fields",),
            roadmap_item_ids=(),
            actor_id=actor.user_id,
        )
    )
    return changed


COLUMNS = ("text", "number", "date", "option_id", "person_id")


def _columns(row: CustomFieldValue) -> dict[str, Any]:
    return {name: getattr(row, name) for name in COLUMNS}


def _normalized(columns: dict[str, Any]) -> dict[str, Any]:
    return {name: columns.get(name) for name in COLUMNS}


def _key(columns: dict[str, Any]) -> tuple[str, ...]:
    # 5 and 5.0000 are one number: compare Decimals normalized, not as typed.
    return tuple(
        ""
        if columns[name] is None
        else cleaning.format_number(columns[name])
        if isinstance(columns[name], Decimal)
        else str(columns[name])
        for name in COLUMNS
    )
