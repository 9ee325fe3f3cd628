"""Suspected duplicate work in two teams: open tasks of different teams with near-equal titles.

Runs inside the drift job (never on a request). The cost is bounded: only open tasks created
or changed in the last `window_days` are looked for partners (at most PROBE_LIMIT of them, the
most recent first), each keeps its PARTNERS_PER_TASK best partners, and at most PAIR_LIMIT
pairs become findings. A partner may be any open task of another team in the workspace: a new
task that repeats an old backlog item is the case that matters most.

Similarity is pg_trgm's, as in `tasks.similarity`: on PostgreSQL one query in which each
recent task probes the GIN trigram index (`%`) for partners; elsewhere the same trigrams
compared in Python over the most recent open tasks (`tasks.similarity.FALLBACK_SCAN`).

A pair is kept when both tasks serve the same thing or nothing: the same roadmap item, items
linked to the same key result, or at least one of them unlinked. Two teams doing similarly
named work for different key results are doing different work. Pairs someone marked "not a
duplicate" are skipped, and each task is named in one finding at most (its closest match), so
five copies of one task make two findings, not ten.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from alignment.models import Workspace
from roadmaps.models import KeyResultLink
from tasks.models import DuplicateDismissal, Task
from tasks.similarity import FALLBACK_SCAN, THRESHOLD, trigrams

PROBE_LIMIT = 200
PARTNERS_PER_TASK = 5
PAIR_LIMIT = 25

# How the two tasks relate to the plan (stored as a number in the finding).
UNLINKED, SAME_ITEM, SAME_KEY_RESULT, ONE_UNLINKED = 0, 1, 2, 3


@dataclass(frozen=True)
class Pair:
    """Two open tasks of different teams; `task` is the newer one (the likely duplicate)."""

    task_id: int
    task_team_id: int
    other_id: int
    other_team_id: int
    similarity: float
    link: int
    shared: tuple[str, int] | None  # the roadmap item or key result both serve


FIELDS = ("id", "team_id", "title")


def _probes(workspace: Workspace, since: datetime) -> QuerySet[Task, dict[str, Any]]:
    """The open tasks created or changed since `since`, most recent first, at most PROBE_LIMIT."""
    return (
        Task.objects.for_workspace(workspace)
        .open()
        .filter(Q(updated_at__gte=since) | Q(created_at__gte=since))
        .order_by("-updated_at", "-id")
        .values(*FIELDS)[:PROBE_LIMIT]
    )


def _postgres_candidates(
    workspace: Workspace, probes: QuerySet[Task, dict[str, Any]], minimum: float
) -> list[tuple[int, int, float]]:
    """(probe id, partner id, similarity): one query, each probe using the trigram index."""
    probe_sql, probe_params = probes.query.sql_with_params()
    # No ORDER BY in the subquery (the model orders by rank): PostgreSQL then pulls it up into
    # the lateral join, where the trigram index serves `p.title % a.title`.
    partners = Task.objects.for_workspace(workspace).open().order_by().values(*FIELDS)
    partner_sql, partner_params = partners.query.sql_with_params()
    # `%` (pg_trgm's similarity_threshold, 0.3 by default, = tasks.similarity.THRESHOLD) lets
    # the GIN index find candidates; the stricter workspace minimum is applied on the score.
    sql = (
        f"SELECT a.id, b.id, b.score FROM ({probe_sql}) a CROSS JOIN LATERAL ("
        f"SELECT p.id, similarity(p.title, a.title) AS score FROM ({partner_sql}) p "
        "WHERE p.team_id <> a.team_id AND p.title %% a.title "
        "ORDER BY score DESC, p.id LIMIT %s) b WHERE b.score >= %s"
    )
    # For this query only: the index prunes at the workspace minimum rather than at 0.3, and
    # no JIT (compiling costs more than the short per-probe plans it would speed up).
    tune = (
        "SELECT set_config('pg_trgm.similarity_threshold', %s, true), set_config('jit', %s, true)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('pg_trgm.similarity_threshold', true), current_setting('jit')"
        )
        threshold, jit = cursor.fetchone()
        cursor.execute(tune, [str(minimum), "off"])
        cursor.execute(sql, [*probe_params, *partner_params, PARTNERS_PER_TASK, minimum])
        rows = cursor.fetchall()
        cursor.execute(tune, [threshold or str(THRESHOLD), jit])
    return [(int(a), int(b), float(score)) for a, b, score in rows]


def _portable_candidates(
    workspace: Workspace, probes: QuerySet[Task, dict[str, Any]], minimum: float
) -> list[tuple[int, int, float]]:
    """The same search without pg_trgm: trigram sets compared in Python (development)."""
    pool = {
        row["id"]: row
        for row in Task.objects.for_workspace(workspace)
        .open()
        .order_by("-pk")
        .values(*FIELDS)[:FALLBACK_SCAN]
    }
    probe_rows = list(probes)
    pool.update((row["id"], row) for row in probe_rows)
    grams = {task_id: trigrams(row["title"]) for task_id, row in pool.items()}
    found = []
    for probe in probe_rows:
        mine = grams[probe["id"]]
        if not mine:
            continue
        scored = []
        for other_id, other in pool.items():
            theirs = grams[other_id]
            if other["team_id"] == probe["team_id"] or not theirs:
                continue
            # tasks.similarity.portable_similarity, on trigram sets computed once per task.
            score = len(mine & theirs) / len(mine | theirs)
            if score >= minimum:
                scored.append((-score, other_id))
        found += [(probe["id"], other_id, -s) for s, other_id in sorted(scored)[:PARTNERS_PER_TASK]]
    return found


def _link(
    item_a: int | None, item_b: int | None, key_results: dict[int, set[int]]
) -> tuple[int, tuple[str, int] | None] | None:
    """How the two tasks relate to the plan, or None when they serve different things."""
    if item_a is None and item_b is None:
        return UNLINKED, None
    if item_a is None or item_b is None:
        return ONE_UNLINKED, None
    if item_a == item_b:
        return SAME_ITEM, ("roadmap_item", item_a)
    shared = key_results.get(item_a, set()) & key_results.get(item_b, set())
    if shared:
        return SAME_KEY_RESULT, ("key_result", min(shared))
    return None


def effective_minimum(minimum: float) -> float:
    """The similarity actually required: pg_trgm's index finds nothing below THRESHOLD (0.3)."""
    return min(max(float(minimum), THRESHOLD), 1.0)


def suspected_duplicates(
    workspace: Workspace, *, minimum: float, window_days: int, now: Any
) -> list[Pair]:
    """Pairs of open tasks in two teams whose titles are at least `minimum` alike, best first."""
    minimum = effective_minimum(minimum)
    probes = _probes(workspace, now - timedelta(days=window_days))
    if connection.vendor == "postgresql":
        candidates = _postgres_candidates(workspace, probes, minimum)
    else:
        candidates = _portable_candidates(workspace, probes, minimum)
    best: dict[tuple[int, int], float] = {}
    for a, b, score in candidates:
        key = (min(a, b), max(a, b))
        best[key] = max(score, best.get(key, 0.0))
    if not best:
        return []
    ids = {i for pair in best for i in pair}
    facts = {
        row["id"]: row
        for row in Task.objects.for_workspace(workspace)
        .filter(pk__in=ids)
        .values("id", "team_id", "roadmap_item_id", "created_at")
    }
    dismissed = {
        frozenset(pair)
        for pair in DuplicateDismissal.objects.for_workspace(workspace)
        .filter(Q(task_id__in=ids) | Q(other_id__in=ids))
        .values_list("task_id", "other_id")
    }
    items = {f["roadmap_item_id"] for f in facts.values()} - {None}
    key_results: dict[int, set[int]] = defaultdict(set)
    for item_id, key_result_id in KeyResultLink.objects.filter(
        workspace=workspace, item_id__in=items
    ).values_list("item_id", "key_result_id"):
        key_results[item_id].add(key_result_id)
    pairs = []
    named: set[int] = set()
    for (a, b), score in sorted(best.items(), key=lambda kv: (-kv[1], kv[0])):
        if a not in facts or b not in facts or frozenset((a, b)) in dismissed:
            continue
        if a in named or b in named:  # one finding per task: its closest match
            continue
        older, newer = sorted((facts[a], facts[b]), key=lambda f: (f["created_at"], f["id"]))
        if older["team_id"] == newer["team_id"]:
            continue
        link = _link(newer["roadmap_item_id"], older["roadmap_item_id"], key_results)
        if link is None:
            continue
        named.update((a, b))
        pairs.append(
            Pair(
                task_id=newer["id"],
                task_team_id=newer["team_id"],
                other_id=older["id"],
                other_team_id=older["team_id"],
                similarity=round(score, 4),
                link=link[0],
                shared=link[1],
            )
        )
        if len(pairs) >= PAIR_LIMIT:
            break
    return pairs
