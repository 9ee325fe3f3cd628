"""Fields of a task that edit in place (task page and board side panel), as one registry.

Every inline field is an `InlineField`: its name (the `TaskForm` field that validates it and
the `task_update` argument that saves it), its label, how to read its value off a task, how to
show a value, and a fingerprint (a plain string) used to tell whether someone else changed it.
The views (`tasks/views/inline.py`) and the two generic partials (`tasks/_field.html` to show,
`tasks/_field_edit.html` to edit) are keyed by the field name only, so a new kind of field
(custom fields) plugs in by calling `register()` with its own `InlineField` and rendering the
same partials; nothing here knows the list of fields but `INLINE_FIELDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from django.db.models import Model
from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe

from tasks.markdown import render_markdown
from tasks.models import Priority, Task


def _muted(text: str) -> SafeString:
    return mark_safe(f'<span class="muted">{escape(text)}</span>')  # noqa: S308 - escaped


def _text(value: Any) -> SafeString:
    return mark_safe(escape(str(value)))  # noqa: S308 - escaped


def show_title(value: Any) -> SafeString:
    return _text(value)


def show_description(value: Any) -> SafeString:
    html = render_markdown(value or "")
    return mark_safe(f'<div class="markdown">{html}</div>') if html else _muted("No description.")  # noqa: S308 - sanitized by render_markdown


def show_state(value: Any) -> SafeString:
    return _text(value.name) if value is not None else _muted("No state")


def show_assignee(value: Any) -> SafeString:
    if value is None:
        return _muted("Nobody")
    return mark_safe(  # noqa: S308 - escaped
        f'<span class="avatar small" aria-hidden="true">{escape(value.initials)}</span> '
        f"{escape(value.display_name)}"
    )


def show_estimate(value: Any) -> SafeString:
    return _muted("Not estimated") if value is None else _text(floatformat(value, "-1"))


def show_priority(value: Any) -> SafeString:
    return _text(Priority(value).label)


def show_labels(value: Any) -> SafeString:
    labels = list(value or ())
    if not labels:
        return _muted("None")
    return mark_safe(  # noqa: S308 - escaped
        " ".join(f'<span class="label-chip">{escape(label.name)}</span>' for label in labels)
    )


def show_due_date(value: Any) -> SafeString:
    return _text(format_date(value, "M j, Y")) if value else _muted("No due date")


def show_sprint(value: Any) -> SafeString:
    return _text(value.name) if value is not None else _muted("Backlog")


def show_roadmap_item(value: Any) -> SafeString:
    if value is None:
        return _muted("Unaligned")
    return _text(f"{value.roadmap.name} · {value.title}")


def fingerprint(value: Any) -> str:
    """A value as a plain string that equals another's exactly when the values are equal:
    what the edit form started from travels in the form as this (`original`)."""
    if value is None:
        return ""
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "model"):
        return ",".join(sorted(str(item.pk) for item in value))
    return str(value)


def _attribute(name: str) -> Callable[[Task], Any]:
    return lambda task: getattr(task, name)


def _labels_of(task: Task) -> list[Any]:
    return list(task.labels.order_by("name"))


@dataclass(frozen=True)
class InlineField:
    """One field that edits in place. `form_field` names the field of the form that validates
    it (`TaskForm` for the built-in ones); `multiline` fields save with Ctrl+Enter."""

    name: str
    label: str
    show: Callable[[Any], SafeString]
    read: Callable[[Task], Any]
    multiline: bool = False
    multiple: bool = False
    preview: bool = False  # offers a Markdown preview while editing
    save_as: str = field(default="")  # the task_update argument; the name when empty

    @property
    def argument(self) -> str:
        return self.save_as or self.name


INLINE_FIELDS: dict[str, InlineField] = {}


def register(spec: InlineField) -> InlineField:
    """Make a field editable in place (the hook for fields defined elsewhere, e.g. custom
    fields); its name must not shadow a registered one."""
    if spec.name in INLINE_FIELDS:
        raise ValueError(f"An inline field named {spec.name!r} is already registered.")
    INLINE_FIELDS[spec.name] = spec
    return spec


for _spec in (
    InlineField("title", "Title", show_title, _attribute("title")),
    InlineField(
        "description",
        "Description",
        show_description,
        _attribute("description"),
        multiline=True,
        preview=True,
    ),
    InlineField("state", "State", show_state, _attribute("state")),
    InlineField("assignee", "Assignee", show_assignee, _attribute("assignee")),
    InlineField("estimate", "Points", show_estimate, _attribute("estimate")),
    InlineField("priority", "Priority", show_priority, _attribute("priority")),
    InlineField("labels", "Labels", show_labels, _labels_of, multiple=True),
    InlineField("due_date", "Due", show_due_date, _attribute("due_date")),
    InlineField("sprint", "Sprint", show_sprint, _attribute("sprint")),
    InlineField("roadmap_item", "Roadmap item", show_roadmap_item, _attribute("roadmap_item")),
):
    register(_spec)

SIDE_FIELDS = (
    "state",
    "assignee",
    "estimate",
    "priority",
    "labels",
    "due_date",
    "sprint",
    "roadmap_item",
)
PANEL_FIELDS = ("title", "description", *SIDE_FIELDS)


@dataclass(frozen=True)
class ShownField:
    """What `_field.html` renders: one field's value on one task, for one place."""

    spec: InlineField
    html: SafeString
    editable: bool
    place: str  # "page" or "panel": where the partial sits (ids and what a save answers)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def heading(self) -> bool:
        """The task page's title is its h1."""
        return self.place == "page" and self.spec.name == "title"


def shown_fields(
    task: Task, names: Iterable[str], *, editable: bool, place: str
) -> dict[str, ShownField]:
    """The named fields of `task` ready to render, keyed by name."""
    out = {}
    for name in names:
        spec = INLINE_FIELDS[name]
        out[name] = ShownField(spec, spec.show(spec.read(task)), editable, place)
    return out
