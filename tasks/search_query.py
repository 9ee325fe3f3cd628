"""The small query syntax of search: `assignee:priya state:"In Review" label:bug team:ENG
priority:high sprint:current due:overdue kr:"Churn below 2%" objective:#4` plus free words.

`parse_search_query` is pure (no database), so the search page, the API and later saved views
share it; `task_filter` turns the qualifiers into a filter on tasks a member may see, checking
every value against the workspace. Anything unknown raises `SearchQueryInvalid` with a message
that names it: a qualifier that was silently ignored would show results that do not match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from alignment.errors import DomainError
from alignment.models import Membership, Team
from okrs.models import KeyResult, Objective
from roadmaps.models import KeyResultLink
from tasks.models import (
    CLOSED_CATEGORIES,
    Label,
    Priority,
    SprintStatus,
    TaskLabel,
    WorkflowState,
)

QUALIFIERS: dict[str, str] = {
    "assignee": "a person's name or email name, me, or none",
    "state": 'a workflow state, e.g. "In Review"',
    "label": "a label name",
    "team": "a team key, e.g. ENG",
    "priority": "urgent, high, medium, low or none",
    "sprint": "current or none",
    "due": "overdue, today, week, none or a date (due by then), e.g. 2026-12-31",
    "kr": "a key result's title (or #id)",
    "objective": "an objective's title (or #id)",
}


@dataclass(frozen=True)
class Qualifier:
    """A qualifier another app adds (an explicit registry: tasks never imports that app).
    `to_q` narrows tasks; `to_order` orders them. Either raises SearchQueryInvalid."""

    hint: str
    to_q: Callable[[str, Membership], Q] | None = None
    to_order: Callable[[str, Membership], Any] | None = None


REGISTERED: dict[str, Qualifier] = {}


def register_qualifier(name: str, qualifier: Qualifier) -> None:
    """Add `name:` to the syntax (idempotent: ready() may run twice in tests)."""
    REGISTERED[name] = qualifier
    QUALIFIERS[name] = qualifier.hint


PRIORITIES = {p.label.split()[-1].lower(): p.value for p in Priority} | {"none": Priority.NONE}
SPRINTS = ("current", "none")
DUES = ("overdue", "today", "week", "none")
MAX_QUERY_LENGTH = 200

# A token is `name:"quoted value"`, `name:value`, a "quoted phrase" or a bare word.
TOKEN = re.compile(r'(?:(?P<name>[A-Za-z_]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>\S+))')


class SearchQueryInvalid(DomainError):
    status, code = 400, "invalid_query"
    message = "The search query is not valid."

    def __init__(self, message: str | None = None, /, **details: object) -> None:
        super().__init__(message, **details)
        self.fields = {"q": [self.text]}  # the API names the parameter at fault


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # the free words, as typed (minus qualifiers)
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_filters(self) -> bool:
        return bool(self.filters)


def qualifier_hint() -> str:
    """One line listing the qualifiers, for empty states and error messages."""
    return ", ".join(f"{name}:" for name in QUALIFIERS)


def parse_search_query(raw: str) -> ParsedQuery:
    """Free words and qualifiers of `raw`; raises SearchQueryInvalid for an unknown qualifier,
    an empty value or a value outside a fixed list (priority, sprint)."""
    raw = " ".join((raw or "").split())[:MAX_QUERY_LENGTH]
    words: list[str] = []
    filters: dict[str, list[str]] = {}
    for match in TOKEN.finditer(raw):
        name, quoted, bare = match.group("name"), match.group("quoted"), match.group("bare")
        value = (quoted if quoted is not None else bare or "").strip()
        if name is None:
            if value:
                words.append(value)
            continue
        # A URL or a time (`https://…`, `10:30`) is a word, not a qualifier.
        if name.lower() not in QUALIFIERS and (value.startswith("//") or name.isdigit()):
            words.append(match.group(0))
            continue
        name = name.lower()
        if name not in QUALIFIERS:
            raise SearchQueryInvalid(
                f"Unknown qualifier “{name}:”. Use one of {qualifier_hint()}.",
                qualifier=name,
            )
        if not value:
            raise SearchQueryInvalid(
                f"“{name}:” needs a value: {QUALIFIERS[name]}.", qualifier=name
            )
        if name == "priority" and value.lower() not in PRIORITIES:
            raise _bad_value(name, value)
        if name == "sprint" and value.lower() not in SPRINTS:
            raise _bad_value(name, value)
        if name == "due" and value.lower() not in DUES and _date(value) is None:
            raise _bad_value(name, value)
        filters.setdefault(name, []).append(value)
    return ParsedQuery(text=" ".join(words), filters=filters)


def _bad_value(name: str, value: str) -> SearchQueryInvalid:
    return SearchQueryInvalid(
        f"No {name} “{value}”. {name}: takes {QUALIFIERS[name]}.", qualifier=name, value=value
    )


def task_filter(parsed: ParsedQuery, *, viewer: Membership) -> Q:
    """The tasks matching every qualifier (values of one qualifier are alternatives). Values
    are looked up among what `viewer` may see, so a private team's state or key is unknown."""
    condition = Q()
    for name, values in parsed.filters.items():
        registered = REGISTERED.get(name)
        if registered is not None and registered.to_q is None:
            continue  # an ordering, not a filter
        alternatives = Q()
        for value in values:
            alternatives |= _one(name, value, viewer=viewer)
        condition &= alternatives
    return condition


def task_order(parsed: ParsedQuery, *, viewer: Membership) -> list[Any]:
    """Order expressions the query asks for (e.g. a registered `sort:`), first one first."""
    order: list[Any] = []
    for name, values in parsed.filters.items():
        registered = REGISTERED.get(name)
        if registered is not None and registered.to_order is not None:
            order += [registered.to_order(value, viewer) for value in values]
    return order


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _due(value: str) -> Q:
    lowered = value.lower()
    today = timezone.localdate()
    if lowered == "none":
        return Q(due_date__isnull=True)
    if lowered == "overdue":
        return Q(due_date__lt=today) & ~Q(state_category__in=sorted(CLOSED_CATEGORIES))
    if lowered == "today":
        return Q(due_date=today)
    if lowered == "week":
        return Q(due_date__gte=today, due_date__lte=today + timedelta(days=7))
    return Q(due_date__lte=_date(value))


def _okr(name: str, value: str, *, viewer: Membership) -> Q:
    """Tasks under the roadmap items linked to a key result (or to any of an objective's)."""
    if viewer.is_guest:  # objectives and key results are not a guest's to read
        raise _bad_value(name, value)
    model: type[KeyResult] | type[Objective] = KeyResult if name == "kr" else Objective
    rows = model.objects.for_workspace(viewer.workspace_id)  # type: ignore[attr-defined]
    ident = value.removeprefix("#")
    found = rows.filter(pk=int(ident)) if ident.isdigit() else rows.filter(title__iexact=value)
    ids = list(found.values_list("pk", flat=True)[:50])
    if not ids:
        raise _bad_value(name, value)
    links = KeyResultLink.objects.for_workspace(viewer.workspace_id)
    links = (
        links.filter(key_result_id__in=ids)
        if name == "kr"
        else links.filter(key_result__objective_id__in=ids)
    )
    return Q(roadmap_item_id__in=links.values("item_id"))


def _one(name: str, value: str, *, viewer: Membership) -> Q:
    registered = REGISTERED.get(name)
    if registered is not None and registered.to_q is not None:
        return registered.to_q(value, viewer)
    lowered = value.lower()
    if name == "due":
        return _due(value)
    if name in ("kr", "objective"):
        return _okr(name, value, viewer=viewer)
    if name == "priority":
        return Q(priority=PRIORITIES[lowered])
    if name == "sprint":
        if lowered == "none":
            return Q(sprint__isnull=True)
        return Q(sprint__status=SprintStatus.ACTIVE)
    if name == "assignee":
        if lowered == "none":
            return Q(assignee__isnull=True)
        if lowered == "me":
            return Q(assignee_id=viewer.user_id)
        people = list(
            Membership.objects.filter(workspace_id=viewer.workspace_id)
            .filter(
                Q(user__email__istartswith=f"{value}@")
                | Q(user__full_name__iexact=value)
                | Q(user__full_name__istartswith=f"{value} ")
            )
            .values_list("user_id", flat=True)
        )
        if not people:
            raise _bad_value(name, value)
        return Q(assignee_id__in=people)
    if name == "team":
        teams = list(
            Team.objects.visible_to(viewer).filter(key__iexact=value).values_list("pk", flat=True)
        )
        if not teams:
            raise _bad_value(name, value)
        return Q(team_id__in=teams)
    if name == "state":
        states = list(
            WorkflowState.objects.filter(
                team__in=Team.objects.visible_to(viewer), name__iexact=value
            ).values_list("pk", flat=True)
        )
        if not states:
            raise _bad_value(name, value)
        return Q(state_id__in=states)
    # label
    labels = list(
        Label.objects.for_workspace(viewer.workspace_id)
        .filter(name__iexact=value)
        .values_list("pk", flat=True)
    )
    if not labels:
        raise _bad_value(name, value)
    return Q(pk__in=TaskLabel.objects.filter(label_id__in=labels).values("task_id"))
