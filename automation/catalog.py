"""What a rule may say: condition and action kinds, their checks, and ready-made templates.

The form and the API both clean a rule's lists through `clean_conditions`/`clean_actions`,
so a stored rule is always one the engine can run. Errors are `FieldErrors` (a 400/422 with
the message next to the field)."""

from __future__ import annotations

from typing import Any

from alignment.errors import FieldErrors
from automation.models import Trigger

FIELDS = ("state", "state_category", "assignee", "priority", "estimate", "title", "sprint")
FIELD_OPS = ("=", "!=", "contains", "empty", "not_empty")
CONDITION_KINDS = {
    "field": "A task field: state, state_category, assignee (email), priority, estimate, "
    "title or sprint",
    "label": "The task has (op has) or lacks (op lacks) a label",
    "team": "The task's team (by key)",
    "kr": "The task traces to this key result (id), or the event's key result is it",
    "custom_field": 'A custom field condition as in search, e.g. "Customer=Acme"',
    "kr_status": "The key result's new status (on_track, at_risk, off_track)",
}
ACTION_KINDS = {
    "set_state": "Move the task to a state (by name, or the first state of a category)",
    "set_assignee": 'Assign the task ("email", "actor" who caused the event, or "none")',
    "add_label": "Add a label (by name; created if missing)",
    "remove_label": "Remove a label (by name)",
    "set_field": "Set a custom field (field name, value as the API takes it)",
    "remove_from_sprint": "Take the task out of its sprint (back to the backlog)",
    "comment": "Add a comment (text; {task}, {trigger}, {title}, {url} are filled in)",
    "create_task": "Create a task (title, optional team key) in the rule's team",
    "notify": 'Notify a person in the app ("assignee", "creator", "kr_owner" or an email)',
    "slack": "Post to a Slack channel (channel id, text) through the outbox",
    "webhook": "Post to a webhook subscription (its id) through the outbox",
}
# What each action needs besides "kind".
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "set_state": ("state",),
    "set_assignee": ("user",),
    "add_label": ("label",),
    "remove_label": ("label",),
    "set_field": ("field", "value"),
    "remove_from_sprint": (),
    "comment": ("text",),
    "create_task": ("title",),
    "notify": ("who", "text"),
    "slack": ("channel", "text"),
    "webhook": ("subscription",),
}
TASK_ACTIONS = {
    "remove_from_sprint",
    "set_state",
    "set_assignee",
    "add_label",
    "remove_label",
    "set_field",
    "comment",
}
MAX_ITEMS = 10


def _items(raw: Any, what: str) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise FieldErrors({what: f"{what.title()} must be a list of objects."})
    if len(raw) > MAX_ITEMS:
        raise FieldErrors({what: f"At most {MAX_ITEMS} {what}."})
    return raw


def clean_conditions(raw: Any) -> list[dict[str, Any]]:
    cleaned = []
    for n, item in enumerate(_items(raw, "conditions"), start=1):
        kind = item.get("kind")
        if kind not in CONDITION_KINDS:
            kinds = ", ".join(CONDITION_KINDS)
            raise FieldErrors({"conditions": f"Condition {n}: kind must be one of {kinds}."})
        value = item.get("value")
        value = "" if value is None else str(value).strip()[:200]
        entry: dict[str, Any] = {"kind": kind, "value": value}
        if kind == "field":
            if item.get("field") not in FIELDS:
                raise FieldErrors(
                    {"conditions": f"Condition {n}: field must be one of {', '.join(FIELDS)}."}
                )
            op = item.get("op") or "="
            if op not in FIELD_OPS:
                raise FieldErrors(
                    {"conditions": f"Condition {n}: op must be one of {', '.join(FIELD_OPS)}."}
                )
            entry.update(field=item["field"], op=op)
        elif kind == "label":
            op = item.get("op") or "has"
            if op not in ("has", "lacks"):
                raise FieldErrors({"conditions": f"Condition {n}: op must be has or lacks."})
            entry["op"] = op
        elif kind == "kr" and not value.isdigit():
            raise FieldErrors({"conditions": f"Condition {n}: a key result id (a number)."})
        if not value and entry.get("op") not in ("empty", "not_empty"):
            raise FieldErrors({"conditions": f"Condition {n}: a value is needed."})
        cleaned.append(entry)
    return cleaned


def clean_actions(raw: Any) -> list[dict[str, Any]]:
    items = _items(raw, "actions")
    if not items:
        raise FieldErrors({"actions": "A rule needs at least one action."})
    cleaned = []
    for n, item in enumerate(items, start=1):
        kind = item.get("kind")
        if kind not in ACTION_KINDS:
            kinds = ", ".join(ACTION_KINDS)
            raise FieldErrors({"actions": f"Action {n}: kind must be one of {kinds}."})
        entry: dict[str, Any] = {"kind": kind}
        for name in ACTION_FIELDS[kind]:
            value = item.get(name)
            if name != "value" and (value is None or str(value).strip() == ""):
                raise FieldErrors({"actions": f"Action {n} ({kind}) needs “{name}”."})
            entry[name] = value if name == "value" else str(value).strip()[:1000]
        if kind == "webhook" and not str(entry["subscription"]).isdigit():
            raise FieldErrors({"actions": f"Action {n}: a webhook subscription id (a number)."})
        if kind == "create_task" and item.get("team"):
            entry["team"] = str(item["team"]).strip()[:10]
        cleaned.append(entry)
    return cleaned


def clean_every_minutes(trigger: str, raw: Any) -> int | None:
    if trigger != Trigger.SCHEDULE:
        return None
    try:
        minutes = int(raw)
    except (TypeError, ValueError):
        raise FieldErrors({"every_minutes": "A schedule needs a number of minutes."}) from None
    if not 5 <= minutes <= 60 * 24 * 31:
        raise FieldErrors({"every_minutes": "Between 5 minutes and 31 days."})
    return minutes


def describe(item: dict[str, Any]) -> str:
    """One line a person reads: `set_state state=Done`."""
    order = ("field", "op", "value")  # `field field=title op=contains value=bug` reads right
    keys = sorted(
        (k for k in item if k != "kind"),
        key=lambda k: (k not in order, order.index(k) if k in order else 0),
    )
    rest = " ".join(f"{k}={item[k]}" for k in keys)
    return f"{item.get('kind')} {rest}".strip()


TEMPLATES: dict[str, dict[str, Any]] = {
    "pr-merged-done": {
        "name": "PR merged → Done",
        "trigger": Trigger.PR_MERGED,
        "conditions": [],
        "actions": [{"kind": "set_state", "state": "done"}],
    },
    "review-requested-in-review": {
        "name": "Review requested → In Review",
        "trigger": Trigger.PR_REVIEW_REQUESTED,
        "conditions": [],
        "actions": [{"kind": "set_state", "state": "In Review"}],
    },
    "check-failed-comment-notify": {
        "name": "Check run failed → comment + notify assignee",
        "trigger": Trigger.CHECK_FAILED,
        "conditions": [],
        "actions": [
            {"kind": "comment", "text": "Check {title} failed: {url}"},
            {"kind": "notify", "who": "assignee", "text": "A check failed on {task}"},
        ],
    },
    "sprint-closed-backlog": {
        "name": "Sprint closed → move open tasks to backlog",
        "trigger": Trigger.SPRINT_CLOSED,
        "conditions": [],
        "actions": [{"kind": "remove_from_sprint"}, {"kind": "set_state", "state": "backlog"}],
    },
}
