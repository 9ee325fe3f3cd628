"""Similar open tasks for a title, to warn about duplicates before they are created.

PostgreSQL: pg_trgm's `%` operator (served by the GIN trigram index on task titles, see
migration 0002) and `similarity()` for ranking. Elsewhere (SQLite): the same trigram
similarity computed in Python over a bounded set of the workspace's most recent open tasks,
so development machines rank like production, only slower on huge workspaces.
"""

from __future__ import annotations

import re

from django.contrib.postgres.lookups import TrigramSimilar
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import F, Q, Value

from alignment.models import Membership, Workspace
from tasks.models import DuplicateDismissal, Task

THRESHOLD = 0.3  # pg_trgm's default similarity threshold, used on both backends
FALLBACK_SCAN = 2000  # most recent open tasks scanned by the portable fallback
WORD = re.compile(r"[a-z0-9]+")


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each lower-cased word padded with two spaces before, one after."""
    grams: set[str] = set()
    for word in WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def portable_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of both, in [0, 1]."""
    left, right = trigrams(a), trigrams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def similar_open_tasks(
    workspace: Workspace,
    title: str,
    *,
    exclude_id: int | None = None,
    limit: int = 5,
    viewer: Membership | None = None,
) -> list[Task]:
    """Open tasks of any team in the workspace whose titles resemble `title`, best first;
    with a `viewer`, only tasks they may see (pages and the API always pass one).

    Each task carries `.similarity` (0..1). Pairs marked "not a duplicate" are skipped.
    """
    title = " ".join((title or "").split())
    if len(title) < 3 or limit <= 0:
        return []
    tasks = Task.objects.visible_to(viewer) if viewer else Task.objects.for_workspace(workspace)
    qs = tasks.filter(workspace_id=workspace.pk).open().select_related("team", "state")
    if exclude_id is not None:
        dismissed = DuplicateDismissal.objects.for_workspace(workspace).filter(
            Q(task_id=exclude_id) | Q(other_id=exclude_id)
        )
        qs = (
            qs.exclude(pk=exclude_id)
            .exclude(pk__in=dismissed.values("other_id"))
            .exclude(pk__in=dismissed.values("task_id"))
        )
    if connection.vendor == "postgresql":
        return list(
            qs.filter(TrigramSimilar(F("title"), Value(title)))
            .annotate(similarity=TrigramSimilarity("title", title))
            .filter(similarity__gte=THRESHOLD)
            .order_by("-similarity", "-pk")[:limit]
        )
    candidates = list(qs.order_by("-pk")[:FALLBACK_SCAN])
    scored = []
    for task in candidates:
        score = portable_similarity(title, task.title)
        if score >= THRESHOLD:
            task.similarity = score  # type: ignore[attr-defined]
            scored.append(task)
    scored.sort(key=lambda t: (-t.similarity, -t.pk))  # type: ignore[attr-defined]
    return scored[:limit]
