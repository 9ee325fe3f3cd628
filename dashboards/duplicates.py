"""Suspected duplicate work in two teams: open tasks of different teams with near-equal titles.

Runs inside the drift job (never on a request). The cost is bounded: only open tasks created
or changed in the last `window_days` are looked for partners (at most PROBE_LIMIT of them, the
most recent first), each keeps its PARTNERS_PER_TASK best partners, and at most PAIR_LIMIT
pairs become findings. What a probe costs grows with the titles that share its trigrams,
though: at a million tasks a probe whose words are common matches tens of thousands of titles
(≈ 1 s each, bench.run), so the search has a time budget (SEARCH_BUDGET_MS): past it the job
keeps the duplicate findings it had and tries again next round (`OverBudget`). A partner may
be any open task of another team in the workspace: a new task that repeats an old backlog item
is the case that matters most.

Similarity is calibrated on realistic title pairs (tests/dashboards/data/duplicate_title_pairs.csv,
measured in docs/dashboards.md): raw trigram similarity finds candidates (on PostgreSQL one query
in which each recent task probes the GIN trigram index with `%` at CANDIDATE_FLOOR; elsewhere
the same trigrams compared in Python), then `pair_score` rescores each candidate on the titles'
*content words*: lower-cased, stop words and generic verbs ("add", "implement", "support")
dropped, light suffix stemming ("exporting", "exports" -> "export"), and the mean of their word
overlap (Dice) and trigram similarity. Two teams rarely word the same work alike: "Add CSV
export to the reports page" and "Reports: allow downloading as CSV" are 25% alike as raw
trigrams and 48% here.

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

from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet

from alignment.models import Workspace
from roadmaps.models import KeyResultLink
from tasks.models import DuplicateDismissal, Task
from tasks.similarity import FALLBACK_SCAN, THRESHOLD, WORD, portable_similarity, trigrams

PROBE_LIMIT = 200
PARTNERS_PER_TASK = 10  # raw-trigram candidates per probe, rescored by `pair_score`
PAIR_LIMIT = 25
# Raw trigram similarity a pair needs to be considered at all (the index's `%` threshold).
# Below it, even reworded same-work pairs of the labelled set are rare (one in 42).
CANDIDATE_FLOOR = 0.2
# The candidate query's budget (PostgreSQL's statement_timeout, for that query only).
SEARCH_BUDGET_MS = 20_000
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by its timeout


class OverBudget(Exception):
    """The candidate search ran past SEARCH_BUDGET_MS: no answer this round."""


# The calibrated default of `duplicate_similarity_min` on `pair_score` (docs/dashboards.md):
# the best F1 with precision >= 0.9 on the labelled set.
DEFAULT_MINIMUM = 0.65

# Words that say nothing about *which* work a title means: articles, prepositions, and the
# generic verbs teams put in front of the same thing ("add", "implement", "support").
_STOP_TEXT = """
    a an the to for of in on into onto and or with from by at as via is are be should let lets
    allow allows our their its it this that these those new each every when all some up
    add adds adding added implement implementing support supports supporting build create make
    enable introduce set setup show improve
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# Light stemming: (suffix, replacement), first match wins; keeps at least 3 letters.
SUFFIXES = (
    ("izations", "iz"),
    ("ization", "iz"),
    ("isation", "iz"),
    ("ations", "at"),
    ("ation", "at"),
    ("ions", ""),
    ("ion", ""),
    ("ally", "al"),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ly", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
    ("e", ""),
)

# How the two tasks relate to the plan (stored as a number in the finding).
UNLINKED, SAME_ITEM, SAME_KEY_RESULT, ONE_UNLINKED = 0, 1, 2, 3


def stem(word: str) -> str:
    """`exporting`, `exports`, `exported` -> `export`; `migration`, `migrate` -> `migrat`."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, replacement in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


def content_words(title: str) -> list[str]:
    """The stemmed words of a title that say which work it means."""
    return [stem(w) for w in WORD.findall(title.lower()) if w not in STOP_WORDS]


def _grams(words: list[str]) -> set[str]:
    return trigrams(" ".join(words))


def _score(words_a: list[str], words_b: list[str]) -> float:
    a, b = set(words_a), set(words_b)
    if not a or not b:
        return 0.0
    dice = 2 * len(a & b) / (len(a) + len(b))
    grams_a, grams_b = _grams(words_a), _grams(words_b)
    trigram = len(grams_a & grams_b) / len(grams_a | grams_b)
    return (dice + trigram) / 2


def pair_score(first: str, second: str) -> float:
    """How alike two titles are as descriptions of work, 0..1, as the drift job scores them:
    0 below the raw-trigram CANDIDATE_FLOOR (never a candidate), else the content-word score."""
    if portable_similarity(first, second) < CANDIDATE_FLOOR:
        return 0.0
    return round(_score(content_words(first), content_words(second)), 4)


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
    workspace: Workspace, probes: QuerySet[Task, dict[str, Any]]
) -> list[tuple[int, int, str, str]]:
    """(probe id, partner id, titles) at raw trigram similarity >= CANDIDATE_FLOOR: one query,
    each probe using the trigram index."""
    probe_sql, probe_params = probes.query.sql_with_params()
    # No ORDER BY in the subquery (the model orders by rank): PostgreSQL then pulls it up into
    # the lateral join, where the trigram index serves `p.title % a.title`.
    partners = Task.objects.for_workspace(workspace).open().order_by().values(*FIELDS)
    partner_sql, partner_params = partners.query.sql_with_params()
    sql = (
        f"SELECT a.id, b.id, a.title, b.title FROM ({probe_sql}) a CROSS JOIN LATERAL ("
        f"SELECT p.id, p.title, similarity(p.title, a.title) AS score FROM ({partner_sql}) p "
        "WHERE p.team_id <> a.team_id AND p.title %% a.title "
        "ORDER BY score DESC, p.id LIMIT %s) b"
    )
    # For this query only: the index prunes at CANDIDATE_FLOOR (not pg_trgm's default 0.3),
    # no JIT (compiling costs more than the short per-probe plans it would speed up), and the
    # time budget.
    tune = (
        "SELECT set_config('pg_trgm.similarity_threshold', %s, true), "
        "set_config('jit', %s, true), set_config('statement_timeout', %s, true)"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('pg_trgm.similarity_threshold', true), "
                "current_setting('jit'), current_setting('statement_timeout')"
            )
            threshold, jit, timeout = cursor.fetchone()
            cursor.execute(tune, [str(CANDIDATE_FLOOR), "off", str(SEARCH_BUDGET_MS)])
            cursor.execute(sql, [*probe_params, *partner_params, PARTNERS_PER_TASK])
            rows = cursor.fetchall()
            cursor.execute(tune, [threshold or str(THRESHOLD), jit, timeout])
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) != _QUERY_CANCELED:
            raise
        # The atomic block rolled back to where it began: the settings are as they were.
        raise OverBudget(f"the candidate search ran past {SEARCH_BUDGET_MS} ms") from error
    return [(int(a), int(b), str(ta), str(tb)) for a, b, ta, tb in rows]


def _portable_candidates(
    workspace: Workspace, probes: QuerySet[Task, dict[str, Any]]
) -> list[tuple[int, int, str, str]]:
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
            if score >= CANDIDATE_FLOOR:
                scored.append((-score, other_id))
        found += [
            (probe["id"], other_id, probe["title"], pool[other_id]["title"])
            for _, other_id in sorted(scored)[:PARTNERS_PER_TASK]
        ]
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
    """The score actually required: never below CANDIDATE_FLOOR (nothing lower is a candidate)."""
    return min(max(float(minimum), CANDIDATE_FLOOR), 1.0)


def suspected_duplicates(
    workspace: Workspace, *, minimum: float, window_days: int, now: Any
) -> list[Pair]:
    """Pairs of open tasks in two teams whose titles are at least `minimum` alike, best first.
    Raises OverBudget when PostgreSQL's candidate search ran out of time."""
    minimum = effective_minimum(minimum)
    probes = _probes(workspace, now - timedelta(days=window_days))
    if connection.vendor == "postgresql":
        candidates = _postgres_candidates(workspace, probes)
    else:
        candidates = _portable_candidates(workspace, probes)
    best = _scored(candidates, minimum)
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
    key_results = _item_key_results(workspace, items)
    pairs = []
    named: set[int] = set()
    for (a, b), score in sorted(best.items(), key=lambda kv: (-kv[1], kv[0])):
        if a not in facts or b not in facts or frozenset((a, b)) in dismissed:
            continue
        if a in named or b in named:  # one finding per task: its closest match
            continue
        pair = _pair(facts[a], facts[b], score, key_results)
        if pair is None:
            continue
        named.update((a, b))
        pairs.append(pair)
        if len(pairs) >= PAIR_LIMIT:
            break
    return pairs


def _scored(
    candidates: list[tuple[int, int, str, str]], minimum: float
) -> dict[tuple[int, int], float]:
    """Each candidate pair (smaller id first) scored by content words, kept from `minimum`."""
    best: dict[tuple[int, int], float] = {}
    words: dict[str, list[str]] = {}
    for a, b, title_a, title_b in candidates:
        key = (min(a, b), max(a, b))
        if key in best:
            continue
        for title in (title_a, title_b):
            if title not in words:
                words[title] = content_words(title)
        score = round(_score(words[title_a], words[title_b]), 4)
        if score >= minimum:
            best[key] = score
    return best


def _item_key_results(workspace: Workspace, items: set[int]) -> dict[int, set[int]]:
    """The key results each roadmap item is linked to."""
    key_results: dict[int, set[int]] = defaultdict(set)
    for item_id, key_result_id in KeyResultLink.objects.filter(
        workspace=workspace, item_id__in=items
    ).values_list("item_id", "key_result_id"):
        key_results[item_id].add(key_result_id)
    return key_results


def _pair(
    fact_a: dict[str, Any],
    fact_b: dict[str, Any],
    score: float,
    key_results: dict[int, set[int]],
) -> Pair | None:
    """The finding for two tasks (the newer one named first); None when they are in one team
    or serve different things."""
    older, newer = sorted((fact_a, fact_b), key=lambda f: (f["created_at"], f["id"]))
    if older["team_id"] == newer["team_id"]:
        return None
    link = _link(newer["roadmap_item_id"], older["roadmap_item_id"], key_results)
    if link is None:
        return None
    return Pair(
        task_id=newer["id"],
        task_team_id=newer["team_id"],
        other_id=older["id"],
        other_team_id=older["team_id"],
        similarity=round(score, 4),
        link=link[0],
        shared=link[1],
    )
