"""One search box over tasks, objectives and roadmap items of a workspace.

PostgreSQL: full-text search (`websearch_to_tsquery`, ranked with ts_rank, titles weighted
above descriptions). Elsewhere: case-insensitive substring matches, titles first. A query
that is a task key (ENG-12, or an old key) puts that task first on both.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, IntegerField, Model, Q, QuerySet, Value, When

from alignment.models import Membership, Workspace
from okrs.models import Objective
from roadmaps.models import RoadmapItem
from tasks.models import Task
from tasks.selectors import task_by_key

MAX_RESULTS = 50


@dataclass
class SearchResult:
    kind: str  # task | objective | roadmap_item
    id: int
    title: str
    key: str  # task key, or "" for other kinds
    rank: float
    obj: Model


def _ranked(qs: QuerySet, q: str, *, fields: tuple[str, str], limit: int) -> list[Model]:
    title, body = fields
    if connection.vendor == "postgresql":
        vector = SearchVector(title, weight="A", config="english") + SearchVector(
            body, weight="B", config="english"
        )
        query = SearchQuery(q, search_type="websearch", config="english")
        return list(
            qs.annotate(search_rank=SearchRank(vector, query))
            .filter(search_rank__gt=0)
            .order_by("-search_rank", "-pk")[:limit]
        )
    return list(
        qs.filter(Q(**{f"{title}__icontains": q}) | Q(**{f"{body}__icontains": q}))
        .annotate(
            search_rank=Case(
                When(**{f"{title}__icontains": q}, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("-search_rank", "-pk")[:limit]
    )


def workspace_search(
    workspace: Workspace, q: str, *, viewer: Membership, limit: int = 20
) -> list[SearchResult]:
    """Tasks, objectives and roadmap items matching `q` that `viewer` may see, best first
    (4 queries at most). Guests find only their teams' tasks and items, no objectives."""
    q = " ".join((q or "").split())[:200]
    limit = max(1, min(limit, MAX_RESULTS))
    if not q:
        return []
    results: list[SearchResult] = []
    exact = task_by_key(workspace, q, viewer=viewer)
    if exact is not None:
        results.append(SearchResult("task", exact.pk, exact.title, exact.key, float("inf"), exact))
    tasks = _ranked(
        Task.objects.visible_to(viewer).select_related("team"),
        q,
        fields=("title", "description"),
        limit=limit,
    )
    results += [
        SearchResult("task", t.pk, t.title, t.key, float(t.search_rank), t)  # type: ignore[attr-defined]
        for t in tasks
        if exact is None or t.pk != exact.pk
    ]
    objectives = (
        []
        if viewer.is_guest
        else _ranked(
            Objective.objects.for_workspace(workspace),
            q,
            fields=("title", "description"),
            limit=limit,
        )
    )
    results += [
        SearchResult("objective", o.pk, o.title, "", float(o.search_rank), o)  # type: ignore[attr-defined]
        for o in objectives
    ]
    items = _ranked(
        RoadmapItem.objects.visible_to(viewer),
        q,
        fields=("title", "description"),
        limit=limit,
    )
    results += [
        SearchResult("roadmap_item", i.pk, i.title, "", float(i.search_rank), i)  # type: ignore[attr-defined]
        for i in items
    ]
    results.sort(key=lambda r: -r.rank)
    return results[:limit]
