"""One search box over tasks, objectives, key results, roadmap items, comments, and the kinds
apps above this one register (documents: `register_kind`, called from their `ready()`).

A row matches when every free word is in it: on PostgreSQL through full-text search
(`websearch_to_tsquery`, so "migrate" finds "Migrating") or as a substring; elsewhere as a
case-insensitive substring. Only matching rows are kept: ts_rank gives 1e-20, not 0, to a
row that does not match at all, so a rank is used to order rows, never to select them.
Order: the task whose key was typed, then rows whose title is exactly the query, then by
rank. Qualifiers (`tasks.search_query`) narrow tasks and comments; with any qualifier the
other kinds are left out, since a qualifier describes tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import and_
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    F,
    FloatField,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from alignment.models import Membership, Workspace
from okrs.models import KeyResult, Objective
from roadmaps.models import RoadmapItem
from tasks.models import Task, TaskComment
from tasks.search_query import ParsedQuery, parse_search_query, task_filter, task_order
from tasks.selectors import task_by_key

MAX_RESULTS = 50
# How deep pages reach: each kind's query reads up to this many rows plus a page.
MAX_DEPTH = 1000
EXACT_KEY, EXACT_TITLE, MATCH = 2, 1, 0
ORDERED_RANK = 1e6  # tasks in a `sort:` order rank above any text match (ranks are <= 2)
KIND_ORDER = {
    "task": 0,
    "comment": 1,
    "objective": 2,
    "key_result": 3,
    "roadmap_item": 4,
    "document": 5,  # registered by documents (its app imports this one, not the reverse)
}
TASK_FIELDS = ("title", "description")


@dataclass
class SearchResult:
    kind: str  # task | objective | key_result | roadmap_item | comment | a registered kind
    id: int
    title: str  # a comment shows its task's title
    key: str  # task key (a comment's task's key), or "" for other kinds
    rank: float
    obj: Model
    tier: int = MATCH  # EXACT_KEY, EXACT_TITLE or MATCH
    snippet: str = ""  # the start of a matching comment (or document)


@dataclass(frozen=True)
class SearchKind:
    """A kind of row an app above tasks adds to the search (the box, the palette, the API)."""

    label: str  # "Document", as the result lists show it
    # (workspace, text, viewer, limit) -> that kind's matching rows, best first.
    find: Callable[[Workspace, str, Membership, int], list[SearchResult]]
    url: Callable[[Workspace, SearchResult], str]  # where a result leads


REGISTERED_KINDS: dict[str, SearchKind] = {}


def register_kind(kind: str, search_kind: SearchKind) -> None:
    """Add a kind to every search; its place among equal ranks is KIND_ORDER's."""
    if kind not in KIND_ORDER:
        raise ValueError(f"Give {kind!r} a place in tasks.search.KIND_ORDER first.")
    REGISTERED_KINDS[kind] = search_kind


@dataclass
class SearchOutcome:
    query: ParsedQuery
    results: list[SearchResult] = field(default_factory=list)
    has_more: bool = False  # more rows matched than `limit`: narrow the query to see them

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)


def _words_match(words: list[str], fields: tuple[str, ...]) -> Q:
    """Every word in at least one of `fields` (the portable definition of a match)."""
    per_word = [
        reduce(lambda a, b: a | b, (Q(**{f"{f}__icontains": word}) for f in fields))
        for word in words
    ]
    return reduce(and_, per_word, Q())


def _ranked(
    qs: QuerySet, text: str, *, fields: tuple[str, ...], limit: int, order: list[Any] | None = None
) -> list[Model]:
    """Rows of `qs` matching `text` in `fields` (the first is the title), best first; at most
    `limit` rows. With no text, the newest rows (qualifiers alone). An `order` (a `sort:`
    qualifier) replaces the ranking: matching rows in that order."""
    if order:
        rows = qs.filter(_words_match(text.split(), fields)) if text else qs
        return list(
            rows.annotate(search_rank=Value(0.0, FloatField())).order_by(*order, "-pk")[:limit]
        )
    return list(_matching(qs, text, fields=fields).order_by(*RANKED_ORDER)[:limit])


RANKED_ORDER = ("-exact_title", "-search_rank", "-pk")


def _matching(qs: QuerySet, text: str, *, fields: tuple[str, ...]) -> QuerySet:
    """Rows of `qs` matching `text`, annotated with `exact_title` and `search_rank`."""
    if not text:
        return qs.annotate(
            search_rank=Value(0.0, FloatField()), exact_title=Value(0, IntegerField())
        )
    title = fields[0]
    words = text.split()
    exact_title = Case(
        When(**{f"{title}__iexact": text}, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    if connection.vendor == "postgresql":
        vector: Any = SearchVector(fields[0], weight="A", config="english")
        for weight, body in zip("BCD", fields[1:], strict=False):
            vector = vector + SearchVector(body, weight=weight, config="english")
        query = SearchQuery(text, search_type="websearch", config="english")
        rows = (
            qs.annotate(search_document=vector)
            .filter(Q(search_document=query) | _words_match(words, fields))
            .annotate(search_rank=SearchRank(F("search_document"), query))
        )
    else:
        rows = qs.filter(_words_match(words, fields)).annotate(
            search_rank=Case(
                When(**{f"{title}__icontains": text}, then=Value(2.0)),
                default=Value(1.0),
                output_field=FloatField(),
            )
        )
    return rows.annotate(exact_title=exact_title)


def _tier(row: Model) -> int:
    return EXACT_TITLE if getattr(row, "exact_title", 0) else MATCH


def ranked_results(
    kind: str, qs: QuerySet, text: str, *, fields: tuple[str, ...], limit: int
) -> list[SearchResult]:
    """Rows of `qs` matching `text` as results of `kind`, by the same rules as every other
    kind (every word matches; exact title, then rank): for registered kinds' `find`."""
    return [
        SearchResult(
            kind,
            row.pk,
            getattr(row, fields[0]),
            "",
            float(row.search_rank),  # type: ignore[attr-defined]
            row,
            _tier(row),
        )
        for row in _ranked(qs, text, fields=fields, limit=limit)
    ]


def workspace_search(
    workspace: Workspace,
    q: str | ParsedQuery,
    *,
    viewer: Membership,
    limit: int = 20,
    offset: int = 0,
) -> SearchOutcome:
    """Rows matching `q` that `viewer` may see, best first; raises SearchQueryInvalid for an
    unknown qualifier or value. Guests find only their teams' tasks, comments and items.

    `offset` skips that many rows of the one total order (tier, rank, kind, id), so pages
    read one after another neither repeat nor skip a row while the data stands still. Each
    kind's query reads at most `offset + limit + 1` rows, hence the cap on `offset`."""
    parsed = q if isinstance(q, ParsedQuery) else parse_search_query(q)
    limit = max(1, min(limit, MAX_RESULTS))
    offset = max(0, min(offset, MAX_DEPTH))
    outcome = SearchOutcome(query=parsed)
    text = parsed.text
    if not text and not parsed.has_filters:
        return outcome
    fetch = offset + limit + 1  # one more than shown says whether there is more
    tasks_qs = Task.objects.visible_to(viewer).select_related("team")
    if parsed.has_filters:
        tasks_qs = tasks_qs.filter(task_filter(parsed, viewer=viewer))
    results: list[SearchResult] = []
    exact = task_by_key(workspace, text, viewer=viewer) if text else None
    if exact is not None and parsed.has_filters and not tasks_qs.filter(pk=exact.pk).exists():
        exact = None  # the typed key names a task the qualifiers leave out
    if exact is not None:
        results.append(
            SearchResult("task", exact.pk, exact.title, exact.key, 0.0, exact, EXACT_KEY)
        )
    order = task_order(parsed, viewer=viewer) if parsed.has_filters else []
    tasks = _ranked(tasks_qs, text, fields=TASK_FIELDS, limit=fetch, order=order)
    results += [
        SearchResult("task", t.pk, t.title, t.key, float(t.search_rank), t, _tier(t))  # type: ignore[attr-defined]
        for t in tasks
        if exact is None or t.pk != exact.pk
    ]
    if order:  # the asked order, kept by the sort below (ahead of comment hits): by position
        for position, result in enumerate(results):
            result.rank = ORDERED_RANK - position
    if text:
        skip = exact.pk if exact is not None else None
        results += _comments(tasks_qs, text, viewer=viewer, limit=fetch, skip=skip)
    if not parsed.has_filters:
        results += _other_kinds(workspace, text, viewer=viewer, limit=fetch)
    # One total order (ties by kind, then newest first), so every page cuts the same list.
    results.sort(key=lambda r: (-r.tier, -r.rank, KIND_ORDER[r.kind], -r.id))
    outcome.results = results[offset : offset + limit]
    outcome.has_more = len(results) > offset + limit
    return outcome


def _comments(
    tasks: QuerySet, text: str, *, viewer: Membership, limit: int, skip: int | None = None
) -> list[SearchResult]:
    """One hit per task whose comments match (its best comment), for tasks that do not match
    themselves. Decided in SQL, not from the rows fetched so far, so that the hits are the
    same whichever page is read."""
    matching_tasks = _matching(tasks, text, fields=TASK_FIELDS).values("pk")
    comments = (
        TaskComment.objects.visible_to(viewer)
        .filter(task__in=tasks.values("pk"))
        .exclude(task__in=matching_tasks)
    )
    if skip is not None:  # the task whose key was typed: shown itself, first
        comments = comments.exclude(task_id=skip)
    candidates = _matching(comments, text, fields=("body",))
    best = candidates.annotate(
        place=Window(
            RowNumber(),
            partition_by=[F("task_id")],
            order_by=[F("search_rank").desc(), F("pk").desc()],
        )
    ).filter(place=1)
    hits = []
    for comment in best.select_related("task__team").order_by(*RANKED_ORDER)[:limit]:
        task = comment.task
        snippet = " ".join(comment.body.split())[:120]  # type: ignore[attr-defined]
        rank = float(comment.search_rank)  # type: ignore[attr-defined]
        hits.append(SearchResult("comment", comment.pk, task.title, task.key, rank, comment))
        hits[-1].snippet = snippet
    return hits


def _other_kinds(
    workspace: Workspace, text: str, *, viewer: Membership, limit: int
) -> list[SearchResult]:
    results: list[SearchResult] = []
    if not viewer.is_guest:  # objectives and key results span teams: not for guests
        objectives = _ranked(
            Objective.objects.for_workspace(workspace),
            text,
            fields=("title", "description"),
            limit=limit,
        )
        results += [
            SearchResult("objective", o.pk, o.title, "", float(o.search_rank), o, _tier(o))  # type: ignore[attr-defined]
            for o in objectives
        ]
        key_results = _ranked(
            KeyResult.objects.for_workspace(workspace).select_related("objective"),
            text,
            fields=("title",),
            limit=limit,
        )
        results += [
            SearchResult("key_result", k.pk, k.title, "", float(k.search_rank), k, _tier(k))  # type: ignore[attr-defined]
            for k in key_results
        ]
    items = _ranked(
        RoadmapItem.objects.visible_to(viewer),
        text,
        fields=("title", "description"),
        limit=limit,
    )
    results += [
        SearchResult("roadmap_item", i.pk, i.title, "", float(i.search_rank), i, _tier(i))  # type: ignore[attr-defined]
        for i in items
    ]
    for search_kind in REGISTERED_KINDS.values():
        results += search_kind.find(workspace, text, viewer, limit)
    return results
