"""The rule builder's structured rows: what each condition and action row may pick, read from
the workspace (states, people, labels, teams, key results, custom fields, webhooks), how a
posted row becomes the dict the catalog cleans, and the per-row checks against the workspace.

A row posts as `cond-<n>-<name>` / `act-<n>-<name>` fields (`cond-3-kind=field`,
`cond-3-field=state`, `cond-3-op==`, `cond-3-value=Done`); rows are read in the order of their
numbers and a row without a kind is a blank one, skipped. The API takes the same dicts as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alignment.errors import FieldErrors
from alignment.models import Membership, Team
from automation import catalog
from customfields.models import CustomField
from integrations.models import WebhookSubscription
from okrs.models import KeyResult
from tasks.models import Label, Priority, Sprint, SprintStatus, StateCategory, WorkflowState

Choice = tuple[str, str]  # (value, label)
PREFIX = {"condition": "cond", "action": "act"}
ROW_NAME = re.compile(r"^(cond|act)-(\d{1,6})-([a-z_]+)$")
FIELD_LABELS = {
    "state": "State",
    "state_category": "State category",
    "assignee": "Assignee",
    "priority": "Priority",
    "estimate": "Estimate",
    "title": "Title",
    "sprint": "Sprint",
}
OP_LABELS = {
    "=": "is",
    "!=": "is not",
    "contains": "contains",
    "empty": "is empty",
    "not_empty": "is not empty",
}
KR_STATUSES: list[Choice] = [
    ("on_track", "On track"),
    ("at_risk", "At risk"),
    ("off_track", "Off track"),
]
CONDITION_LABELS = {
    "field": "Task field",
    "label": "Label",
    "team": "Team",
    "kr": "Key result",
    "custom_field": "Custom field",
    "kr_status": "Key result status",
}
ACTION_LABELS = {
    "set_state": "Move to state",
    "set_assignee": "Assign to",
    "add_label": "Add label",
    "remove_label": "Remove label",
    "set_field": "Set custom field",
    "remove_from_sprint": "Remove from sprint",
    "comment": "Add a comment",
    "create_task": "Create a task",
    "notify": "Notify",
    "slack": "Post to Slack",
    "webhook": "Post to a webhook",
}


@dataclass
class Pickers:
    """The options of every picker, read once per page from the viewer's workspace."""

    states: list[Choice]
    categories: list[Choice]
    people: list[Choice]
    priorities: list[Choice]
    sprints: list[Choice]
    labels: list[Choice]
    teams: list[Choice]
    key_results: list[Choice]
    custom_fields: list[Choice]
    custom_values: list[Choice]  # "Field=Option" suggestions for custom field conditions
    webhooks: list[Choice]

    @classmethod
    def for_viewer(cls, viewer: Membership) -> Pickers:
        ws = viewer.workspace_id
        teams = Team.objects.visible_to(viewer).order_by("name")
        states = sorted(
            set(
                WorkflowState.objects.for_workspace(ws)
                .filter(team__in=teams)
                .values_list("name", flat=True)
            )
        )
        people = (
            Membership.objects.for_workspace(ws)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )
        fields = list(
            CustomField.objects.for_workspace(ws)
            .filter(is_archived=False)
            .prefetch_related("options")
            .order_by("position", "name")
        )
        return cls(
            states=[(s, s) for s in states],
            categories=[(c.value, c.label) for c in StateCategory],
            people=[(m.user.email, m.user.display_name) for m in people],
            priorities=[(str(p.value), p.label) for p in Priority],
            sprints=[
                (name, name)
                for name in Sprint.objects.for_workspace(ws)
                .filter(team__in=teams)
                .exclude(status=SprintStatus.CLOSED)
                .order_by("start_date", "name")
                .values_list("name", flat=True)
                .distinct()
            ],
            labels=[(n, n) for n in Label.objects.for_workspace(ws).values_list("name", flat=True)],
            teams=[(t.key, f"{t.name} ({t.key})") for t in teams],
            key_results=[
                (str(pk), title)
                for pk, title in KeyResult.objects.for_workspace(ws)
                .order_by("title")
                .values_list("pk", "title")[:500]
            ],
            custom_fields=[(f.name, f.name) for f in fields],
            custom_values=[
                (f"{f.name}={o.label}", f"{f.name}: {o.label}")
                for f in fields
                for o in f.options.all()
                if not o.is_archived
            ],
            webhooks=[
                (str(pk), url)
                for pk, url in WebhookSubscription.objects.filter(workspace_id=ws)
                .order_by("pk")
                .values_list("pk", "url")
            ],
        )

    def value_choices(self, kind: str, field_name: str = "") -> list[Choice] | None:
        """A condition's value picker (None: a free text or number input)."""
        if kind == "field":
            return {
                "state": self.states,
                "state_category": self.categories,
                "assignee": self.people,
                "priority": self.priorities,
                "sprint": self.sprints,
            }.get(field_name)
        return {
            "label": self.labels,
            "team": self.teams,
            "kr": self.key_results,
            "kr_status": KR_STATUSES,
        }.get(kind)

    def state_targets(self) -> list[Choice]:
        """set_state: a state by name, or the first state of a category."""
        return self.states + [(c, f"First “{label}” state") for c, label in self.categories]

    def assignees(self) -> list[Choice]:
        return [("actor", "Who caused the event"), ("none", "Nobody")] + self.people

    def recipients(self) -> list[Choice]:
        return [
            ("assignee", "The task's assignee"),
            ("creator", "The task's creator"),
            ("kr_owner", "The key result's owner"),
        ] + self.people


@dataclass
class Row:
    """One condition or action row of the form: its values and its error, if any."""

    what: str  # "condition" | "action"
    index: int
    values: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def prefix(self) -> str:
        return f"{PREFIX[self.what]}-{self.index}"

    @property
    def kind(self) -> str:
        return self.values.get("kind", "")

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def item(self) -> dict[str, Any]:
        """The dict the catalog cleans (empty values left out, as the API would)."""
        return {k: v for k, v in self.values.items() if v != "" or k == "value"}


def rows_from(data: Mapping[str, Any], what: str) -> list[Row]:
    """The posted rows of one list, in the order of their numbers; blank rows skipped."""
    prefix = PREFIX[what]
    found: dict[int, dict[str, str]] = {}
    for name in data:
        match = ROW_NAME.match(name)
        if match and match.group(1) == prefix:
            found.setdefault(int(match.group(2)), {})[match.group(3)] = str(data.get(name, ""))
    return [
        Row(what, index, {k: v.strip() for k, v in values.items()})
        for index, values in sorted(found.items())
        if values.get("kind", "").strip()
    ]


def rows_of(items: list[dict[str, Any]], what: str) -> list[Row]:
    """A stored rule's conditions or actions as rows."""
    return [
        Row(what, n, {k: "" if v is None else str(v) for k, v in item.items()})
        for n, item in enumerate(items)
    ]


def _check_in_workspace(row: Row, pickers: Pickers) -> str:
    """What the catalog cannot know: does the picked state, person, team, key result, field or
    webhook exist here? (A raw id from another workspace must never be stored.)"""
    kind, value = row.kind, row.get("value")

    def known(choices: list[Choice], picked: str, what: str) -> str:
        return "" if picked in {c for c, _ in choices} else f"No {what} “{picked}” here."

    if row.what == "condition":
        if kind == "kr":
            return known(pickers.key_results, value, "key result")
        if kind == "team":
            return known(pickers.teams, value, "team")
        if kind == "field" and row.get("op") not in ("empty", "not_empty", "contains"):
            choices = pickers.value_choices(kind, row.get("field"))
            if choices is not None:
                return known(choices, value, FIELD_LABELS.get(row.get("field"), "value").lower())
        return ""
    if kind == "set_state":
        return known(pickers.state_targets(), row.get("state"), "state")
    if kind == "set_assignee":
        return known(pickers.assignees(), row.get("user"), "person")
    if kind == "set_field":
        return known(pickers.custom_fields, row.get("field"), "custom field")
    if kind == "create_task" and row.get("team"):
        return known(pickers.teams, row.get("team"), "team")
    if kind == "notify":
        return known(pickers.recipients(), row.get("who"), "person")
    if kind == "webhook":
        return known(pickers.webhooks, row.get("subscription"), "webhook subscription")
    return ""


def clean_rows(rows: list[Row], pickers: Pickers) -> list[dict[str, Any]]:
    """Each row cleaned by the catalog and checked against the workspace; every row's problem
    is set on it, and FieldErrors is raised when any row has one."""
    cleaned: list[dict[str, Any]] = []
    for row in rows:
        clean = catalog.clean_conditions if row.what == "condition" else catalog.clean_actions
        try:
            [item] = clean([row.item()])
        except FieldErrors as exc:
            message = " ".join(m for ms in exc.fields.values() for m in ms)
            # The catalog numbers the only row it saw "1": the form shows the message on the
            # row itself, so the number goes.
            row.error = re.sub(r"^(Condition|Action) 1(?: \(\w+\))?:? ?", "", message)
            continue
        row.error = _check_in_workspace(row, pickers)
        if not row.error:
            cleaned.append(item)
    if any(row.error for row in rows):
        what = rows[0].what + "s"
        bad = [str(n) for n, row in enumerate(rows, start=1) if row.error]
        raise FieldErrors({what: f"Fix {what[:-1]} {', '.join(bad)} (marked below)."})
    return cleaned


@dataclass
class Widget:
    """One control of a row, as the row template draws it."""

    name: str
    label: str
    control: str  # "select" | "text" | "number"
    value: str = ""
    choices: list[Choice] = field(default_factory=list)
    refresh: bool = False  # changing it redraws the row (the kind, a condition's field)
    optional: bool = False  # a select with an empty first option
    suggestions: list[Choice] = field(default_factory=list)  # a datalist for a text input


def _select(name: str, label: str, choices: list[Choice], value: str, **kw: Any) -> Widget:
    if value and value not in {c for c, _ in choices}:
        choices = [*choices, (value, f"{value} (not found here)")]  # shown, and refused on save
    return Widget(name, label, "select", value, choices, **kw)


def widgets(row: Row, p: Pickers) -> list[Widget]:
    """The controls of a row after its kind select, for the kind (and field) it has now."""
    if row.what == "condition":
        return _condition_widgets(row, p)
    return _action_widgets(row, p)


def _field_condition_widgets(row: Row, p: Pickers) -> list[Widget]:
    """Field, comparison and value; the value is a select when the field has choices."""
    get = row.get
    name = get("field") or "state"
    ops = list(OP_LABELS.items())
    choices = p.value_choices("field", name)
    value = (
        _select("value", "Value", choices, get("value"), optional=True)
        if choices is not None
        else Widget("value", "Value", "number" if name == "estimate" else "text", get("value"))
    )
    return [
        _select("field", "Field", list(FIELD_LABELS.items()), name, refresh=True),
        _select("op", "Comparison", ops, get("op") or "="),
        value,
    ]


def _condition_widgets(row: Row, p: Pickers) -> list[Widget]:
    get = row.get
    kind = row.kind
    if kind == "field":
        return _field_condition_widgets(row, p)
    if kind == "label":
        ops = [("has", "has"), ("lacks", "lacks")]
        return [
            _select("op", "Comparison", ops, get("op") or "has"),
            _select("value", "Label", p.labels, get("value"), optional=True),
        ]
    if kind in ("team", "kr", "kr_status"):
        label = {"team": "Team", "kr": "Key result", "kr_status": "Status"}[kind]
        return [_select("value", label, p.value_choices(kind) or [], get("value"), optional=True)]
    if kind == "custom_field":
        return [Widget("value", "Condition", "text", get("value"), suggestions=p.custom_values)]
    return []


def _action_widgets(row: Row, p: Pickers) -> list[Widget]:
    get = row.get
    kind = row.kind
    text = Widget("text", "Text", "text", get("text"))
    if kind == "set_state":
        return [_select("state", "State", p.state_targets(), get("state"), optional=True)]
    if kind == "set_assignee":
        return [_select("user", "Person", p.assignees(), get("user"), optional=True)]
    if kind in ("add_label", "remove_label"):
        return [_label_action_widget(row, p)]
    if kind == "set_field":
        return [
            _select("field", "Custom field", p.custom_fields, get("field"), optional=True),
            Widget("value", "Value", "text", get("value"), suggestions=p.custom_values),
        ]
    if kind == "comment":
        return [text]
    if kind == "create_task":
        return [
            Widget("title", "Title", "text", get("title")),
            _select("team", "Team", p.teams, get("team"), optional=True),
        ]
    return _message_action_widgets(row, p, text)


def _label_action_widget(row: Row, p: Pickers) -> Widget:
    """Adding a label may name a new one (text with suggestions); removing picks one."""
    if row.kind == "add_label":
        return Widget("label", "Label", "text", row.get("label"), suggestions=p.labels)
    return _select("label", "Label", p.labels, row.get("label"), optional=True)


def _message_action_widgets(row: Row, p: Pickers, text: Widget) -> list[Widget]:
    """The actions that send something: a notification, a Slack message, a webhook."""
    get = row.get
    if row.kind == "notify":
        return [_select("who", "Who", p.recipients(), get("who"), optional=True), text]
    if row.kind == "slack":
        return [Widget("channel", "Channel id", "text", get("channel")), text]
    if row.kind == "webhook":
        return [
            _select("subscription", "Subscription", p.webhooks, get("subscription"), optional=True)
        ]
    return []


def kind_widget(row: Row) -> Widget:
    labels = CONDITION_LABELS if row.what == "condition" else ACTION_LABELS
    return Widget(
        "kind",
        "Condition" if row.what == "condition" else "Action",
        "select",
        row.kind,
        list(labels.items()),
        refresh=True,
        optional=True,
    )


def drawn(rows: list[Row], p: Pickers) -> list[tuple[Row, list[Widget]]]:
    """Rows with their controls, the kind select first, for the row template."""
    return [(row, [kind_widget(row), *widgets(row, p)]) for row in rows]
