"""Drift in the work itself: blocked chains across teams, scope added to running sprints, and
the same work done twice. Each returns unsaved findings (see dashboards.drift)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from alignment.models import Workspace
from dashboards import duplicates
from dashboards.drift_base import TASK, DriftThresholds, highest_level, new_finding
from dashboards.models import Finding
from dashboards.rollups.math import SPRINT, TEAM
from okrs import progress as okr_math
from tasks import sprint_scope
from tasks.models import OPEN_CATEGORIES, Sprint, SprintStatus, Task, TaskDependency

logger = logging.getLogger(__name__)


def _components(nodes: set[int], edges: list[tuple[int, int]]) -> list[set[int]]:
    """Groups of tasks joined by dependencies in either direction (union-find)."""
    parent = {n: n for n in nodes}

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict[int, set[int]] = defaultdict(set)
    for n in nodes:
        groups[root(n)].add(n)
    return sorted(groups.values(), key=min)


def _downstream(start: int, blocks: dict[int, list[int]]) -> tuple[set[int], int]:
    """Every task waiting on `start` (directly or through others) and the longest wait chain."""
    depth: dict[int, int] = {}
    reached: set[int] = set()

    def walk(node: int, trail: frozenset[int]) -> int:
        if node in depth:
            return depth[node]
        longest = 0
        for nxt in blocks.get(node, []):
            if nxt in trail:  # a dependency cycle: counted once, never walked around
                continue
            reached.add(nxt)
            longest = max(longest, 1 + walk(nxt, trail | {nxt}))
        depth[node] = longest
        return longest

    return reached, walk(start, frozenset({start}))


def blocked_chains(workspace: Workspace, levels: dict[int, str], now: Any) -> list[Finding]:
    """One finding per chain of open tasks waiting on each other across two or more teams.

    The subject is the task to unblock first: the open blocker with no open blocker of its own
    that holds up the most work. Done and canceled tasks neither block nor wait."""
    open_ids = Task.objects.filter(
        workspace=workspace, state_category__in=sorted(OPEN_CATEGORIES)
    ).values("id")
    edges = list(
        TaskDependency.objects.filter(
            workspace=workspace, blocking_id__in=open_ids, blocked_id__in=open_ids
        ).values_list("blocking_id", "blocked_id")
    )
    if not edges:
        return []
    nodes = {n for edge in edges for n in edge}
    facts = {
        row["id"]: row
        for row in Task.objects.filter(workspace=workspace, pk__in=nodes).values(
            "id", "team_id", "estimate", "roadmap_item_id"
        )
    }
    blocks: dict[int, list[int]] = defaultdict(list)
    waits: set[int] = set()
    for blocking, blocked in edges:
        blocks[blocking].append(blocked)
        waits.add(blocked)
    found = []
    for group in _components(nodes, edges):
        finding = _chain_finding(workspace, group, facts, blocks, waits, levels=levels, now=now)
        if finding is not None:
            found.append(finding)
    return found


def _chain_finding(
    workspace: Workspace,
    group: set[int],
    facts: dict[int, dict[str, Any]],
    blocks: dict[int, list[int]],
    waits: set[int],
    *,
    levels: dict[int, str],
    now: Any,
) -> Finding | None:
    """The finding for one group of dependent tasks; None when it stays inside one team."""
    teams = sorted({facts[n]["team_id"] for n in group})
    if len(teams) < 2:
        return None
    heads = sorted(n for n in group if n not in waits) or [min(group)]  # min: a pure cycle
    reach = {head: _downstream(head, blocks) for head in heads}
    subject = max(heads, key=lambda h: (len(reach[h][0]), -h))
    waiting = sorted(n for n in group if n in waits)
    depth = max(d for _, d in reach.values())
    points = sum(float(facts[n]["estimate"] or 0) for n in waiting)
    others = sorted(group - {subject}, key=lambda n: (n not in reach[subject][0], n))
    return new_finding(
        workspace,
        "blocked_chain",
        okr_math.OFF_TRACK if depth >= 2 else okr_math.AT_RISK,
        (TASK, subject),
        team_id=facts[subject]["team_id"],
        numbers={
            "tasks": float(len(group)),
            "blocked": float(len(waiting)),
            "depth": float(depth),
            "teams": float(len(teams)),
            "points": points,
        },
        evidence=[
            *[(TEAM, t) for t in teams],
            *[(TASK, n) for n in others],
        ],
        points=points,
        level=_level_of(group, facts, levels),
        now=now,
    )


def _level_of(tasks: set[int], facts: dict[int, dict[str, Any]], levels: dict[int, str]) -> str:
    return highest_level(levels.get(facts[t]["roadmap_item_id"], "") for t in tasks)


def scope_added(workspace: Workspace, thresholds: DriftThresholds, now: Any) -> list[Finding]:
    """Running sprints that grew after they started by more than the allowed share, with the
    tasks that were added (`tasks.sprint_scope`: the numbers sprint close and metrics show)."""
    sprints = list(Sprint.objects.filter(workspace=workspace, status=SprintStatus.ACTIVE))
    found = []
    for scope in sprint_scope.sprint_scopes(sprints, as_of=now):
        committed = float(scope.committed.points)
        added = float(scope.added.points)
        share = added / committed if committed else (1.0 if added else 0.0)
        if added <= 0 or share <= thresholds.scope_added_max:
            continue
        team_id = next(s.team_id for s in sprints if s.pk == scope.sprint_id)
        found.append(
            new_finding(
                workspace,
                "scope_added",
                okr_math.AT_RISK,
                (SPRINT, scope.sprint_id),
                team_id=team_id,
                numbers={
                    "added_points": added,
                    "committed_points": committed,
                    "share": round(share, 4),
                    "limit": thresholds.scope_added_max,
                    "added_count": float(scope.added.count),
                },
                evidence=[(TEAM, team_id), *[(TASK, t) for t in scope.added.task_ids]],
                points=added,
                now=now,
            )
        )
    return found


def duplicate_work(
    workspace: Workspace, thresholds: DriftThresholds, levels: dict[int, str], now: Any
) -> list[Finding]:
    """Open tasks of two teams whose titles describe the same work, serving the same thing or
    nothing (dashboards.duplicates)."""
    found = []
    minimum = duplicates.effective_minimum(thresholds.duplicate_similarity_min)
    try:
        pairs = duplicates.suspected_duplicates(
            workspace, minimum=minimum, window_days=thresholds.duplicate_window_days, now=now
        )
    except duplicates.OverBudget as error:
        # No answer is not "no duplicates": keep the findings (and their dismissals) as they
        # are, and let the next round try again.
        logger.warning("duplicate work in workspace %s not refreshed: %s", workspace.pk, error)
        return list(Finding.objects.filter(workspace=workspace, code="duplicate_work"))
    facts = {
        row["id"]: row
        for row in Task.objects.filter(
            workspace=workspace, pk__in=[p.task_id for p in pairs]
        ).values("id", "estimate", "roadmap_item_id")
    }
    for pair in pairs:
        evidence: list[tuple[str, int]] = [
            (TASK, pair.other_id),
            (TEAM, pair.task_team_id),
            (TEAM, pair.other_team_id),
        ]
        if pair.shared is not None:
            evidence.append(pair.shared)
        fact = facts.get(pair.task_id, {})
        found.append(
            new_finding(
                workspace,
                "duplicate_work",
                okr_math.AT_RISK,
                (TASK, pair.task_id),
                team_id=pair.task_team_id,
                numbers={
                    "similarity": pair.similarity,
                    "minimum": minimum,
                    "link": float(pair.link),
                },
                evidence=evidence,
                points=float(fact.get("estimate") or 0),
                level=levels.get(fact.get("roadmap_item_id") or 0, ""),
                now=now,
            )
        )
    return found
