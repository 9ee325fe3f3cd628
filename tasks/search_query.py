"""The small query syntax of search: `assignee:priya state:"In Review" label:bug team:ENG
priority:high sprint:current` plus free words.

`parse_search_query` is pure (no database), so the search page, the API and later saved views
share it; `task_filter` turns the qualifiers into a filter on tasks a member may see, checking
every value against the workspace. Anything unknown raises `SearchQueryInvalid` with a message
that names it: a qualifier that was silently ignored would show results that do not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q

from alignment.errors import DomainError
from alignment.models import Membership, Team
from tasks.models import Label, Priority, SprintStatus, TaskLabel, WorkflowState

QUALIFIERS: dict[str, str] = {
    "assignee": "a person's name or email name, me, or none",
    "state": 'a workflow state, e.g. "In Review"',
    "label": "a label name",
    "team": "a team key, e.g. ENG",
    "priority": "urgent, high, medium, low or none",
    "sprint": "current or none",
}
PRIORITIES = {p.label.split()[-1].lower(): p.value for p in Priority} | {"none": Priority.NONE}
SPRINTS = ("current", "none")
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
        alternatives = Q()
        for value in values:
            alternatives |= _one(name, value, viewer=viewer)
        condition &= alternatives
    return condition


def _one(name: str, value: str, *, viewer: Membership) -> Q:
    lowered = value.lower()
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
