"""Drift and risk findings: what is slipping or off-plan, why (numbers), and the records behind it.

Each finding names its subject, carries its measurements and the evidence as [kind, id] pairs
(the tasks, KRs, sprints it is about), so a page can say *why* in a sentence and link each
record. Thresholds are workspace settings (`workspace.settings["dashboards"]`) with defaults.
A job replaces a workspace's findings as a whole; pages read the stored rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.models import Workspace
from dashboards import duplicates
from dashboards.models import Finding, Rollup, TeamMetrics
from dashboards.rollup_math import ITEM, KR, OBJECTIVE, SPRINT, TEAM
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective, ObjectiveStatus
from roadmaps.models import KeyResultLink
from tasks.models import OPEN_CATEGORIES, Sprint, SprintStatus, StateCategory, Task, TaskDependency

SETTINGS_KEY = "dashboards"
TASK = "task"
EVIDENCE_LIMIT = 12  # records listed per finding; the numbers count them all
CHAIN_LIMIT = 6


@dataclass(frozen=True)
class DriftThresholds:
    alignment_min: float = 0.6  # share of sprint points that trace to an active KR
    stale_check_in_days: int = okr_math.STALE_AFTER_DAYS
    scope_added_max: float = 0.2  # points added after start / points committed
    overdue_grace_days: int = 0
    # Titles at least this alike (`duplicates.pair_score`, 0.2..1) in two teams: suspected
    # duplicates. The default is calibrated on labelled pairs (docs/dashboards.md).
    duplicate_similarity_min: float = duplicates.DEFAULT_MINIMUM
    duplicate_window_days: int = 30  # only tasks created or changed this recently look for pairs

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> DriftThresholds:
        raw = (settings or {}).get(SETTINGS_KEY)
        if not isinstance(raw, Mapping):
            return cls()
        values: dict[str, Any] = {}
        for name, default in cls().__dict__.items():
            value = raw.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value) or value < 0:
                continue
            values[name] = type(default)(value)
        return replace(cls(), **values)


def _finding(
    workspace: Workspace,
    code: str,
    severity: str,
    subject: tuple[str, int],
    *,
    team_id: int | None = None,
    numbers: Mapping[str, float] | None = None,
    evidence: list[tuple[str, int]] | None = None,
    now: Any,
) -> Finding:
    return Finding(
        workspace=workspace,
        code=code,
        severity=severity,
        subject_kind=subject[0],
        subject_id=subject[1],
        team_id=team_id,
        numbers=dict(numbers or {}),
        evidence=[[k, i] for k, i in (evidence or [])[:EVIDENCE_LIMIT]],
        computed_at=now,
    )


def _alignment(workspace: Workspace, thresholds: DriftThresholds, now: Any) -> list[Finding]:
    """Active sprints whose points trace to an active KR less than the minimum share."""
    found = []
    active = {
        s["id"]: s
        for s in Sprint.objects.filter(workspace=workspace, status=SprintStatus.ACTIVE).values(
            "id", "team_id"
        )
    }
    rows = Rollup.objects.filter(workspace=workspace, kind=SPRINT, node_id__in=list(active))
    aligned_items = set(
        KeyResultLink.objects.filter(
            workspace=workspace, key_result__objective__status=ObjectiveStatus.ACTIVE
        ).values_list("item_id", flat=True)
    )
    unaligned: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for task_id, sprint_id, item_id in (
        Task.objects.filter(sprint_id__in=list(active))
        .exclude(state_category=StateCategory.CANCELED)
        .order_by("-estimate", "id")
        .values_list("id", "sprint_id", "roadmap_item_id")
    ):
        if item_id is None or item_id not in aligned_items:
            unaligned[sprint_id].append((TASK, task_id))
    for row in rows:
        ratio = row.alignment_ratio
        if ratio is None or ratio >= thresholds.alignment_min:
            continue
        team_id = active[row.node_id]["team_id"]
        severity = okr_math.OFF_TRACK if ratio < thresholds.alignment_min / 2 else okr_math.AT_RISK
        found.append(
            _finding(
                workspace,
                "low_alignment",
                severity,
                (SPRINT, row.node_id),
                team_id=team_id,
                numbers={
                    "ratio": round(ratio, 4),
                    "minimum": thresholds.alignment_min,
                    "aligned_points": float(row.aligned_points),
                    "total_points": float(row.total_points),
                    "unaligned_count": float(len(unaligned[row.node_id])),
                },
                evidence=[(TEAM, team_id), *unaligned[row.node_id]],
                now=now,
            )
        )
    return found


def _key_results(
    workspace: Workspace, thresholds: DriftThresholds, today: date, now: Any
) -> list[Finding]:
    """KRs behind pace (from their rollups) and KRs without a recent check-in."""
    found = []
    krs = {
        kr["id"]: kr
        for kr in KeyResult.objects.filter(
            workspace=workspace, objective__status=ObjectiveStatus.ACTIVE
        ).values(
            "id",
            "objective_id",
            "source",
            "last_check_in_at",
            "created_at",
            "objective__team_id",
            "objective__period__start",
            "objective__period__end",
        )
    }
    for row in Rollup.objects.filter(workspace=workspace, kind=KR, node_id__in=list(krs)):
        behind = next((r for r in row.reasons if r.get("code") == "behind_pace"), None)
        if behind is None or row.status == okr_math.ON_TRACK:
            continue
        kr = krs[row.node_id]
        found.append(
            _finding(
                workspace,
                "kr_behind_pace",
                row.status,
                (KR, row.node_id),
                team_id=kr["objective__team_id"],
                numbers=behind.get("numbers", {}),
                evidence=[(OBJECTIVE, kr["objective_id"])],
                now=now,
            )
        )
    limit = thresholds.stale_check_in_days
    for kr in krs.values():
        if kr["source"] != okr_math.MANUAL:
            continue
        start, end = kr["objective__period__start"], kr["objective__period__end"]
        if today < start or today > end:
            continue
        last = kr["last_check_in_at"]
        since = (
            timezone.localdate(last) if last else max(start, timezone.localdate(kr["created_at"]))
        )
        days = (today - since).days
        if days <= limit:
            continue
        found.append(
            _finding(
                workspace,
                "kr_no_check_in",
                okr_math.AT_RISK,
                (KR, kr["id"]),
                team_id=kr["objective__team_id"],
                numbers={"days": float(days), "limit": float(limit), "never": float(last is None)},
                evidence=[(OBJECTIVE, kr["objective_id"])],
                now=now,
            )
        )
    return found


def _objectives_without_work(workspace: Workspace, now: Any) -> list[Finding]:
    """Active objectives of a current period with no linked roadmap item and nothing aligned."""
    today = timezone.localdate(now)
    objectives = Objective.objects.filter(
        workspace=workspace,
        status=ObjectiveStatus.ACTIVE,
        period__start__lte=today,
        period__end__gte=today,
    )
    linked = set(
        KeyResultLink.objects.filter(workspace=workspace).values_list(
            "key_result__objective_id", flat=True
        )
    )
    aligned = set(
        Objective.objects.filter(workspace=workspace, parent_key_result__isnull=False)
        .live()
        .values_list("parent_key_result__objective_id", flat=True)
    )
    return [
        _finding(
            workspace,
            "objective_without_work",
            okr_math.AT_RISK,
            (OBJECTIVE, objective_id),
            team_id=team_id,
            now=now,
        )
        for objective_id, team_id in objectives.values_list("id", "team_id").order_by("id")
        if objective_id not in linked and objective_id not in aligned
    ]


def _overdue_items(workspace: Workspace, thresholds: DriftThresholds, now: Any) -> list[Finding]:
    """Roadmap items past their target date with open tasks (from their rollups)."""
    rows = Rollup.objects.filter(workspace=workspace, kind=ITEM, status=okr_math.OFF_TRACK)
    overdue = []
    for row in rows:
        reason = next((r for r in row.reasons if r.get("code") == "past_target_date"), None)
        if reason is None or reason["numbers"].get("days_late", 0) <= thresholds.overdue_grace_days:
            continue
        overdue.append((row, reason))
    if not overdue:
        return []
    open_tasks: dict[int, list[tuple[str, int]]] = defaultdict(list)
    teams: dict[int, int] = {}
    for task_id, item_id, team_id in (
        Task.objects.filter(roadmap_item_id__in=[r.node_id for r, _ in overdue])
        .filter(state_category__in=sorted(OPEN_CATEGORIES))
        .order_by("id")
        .values_list("id", "roadmap_item_id", "team_id")
    ):
        open_tasks[item_id].append((TASK, task_id))
        teams.setdefault(item_id, team_id)
    return [
        _finding(
            workspace,
            "item_overdue",
            okr_math.OFF_TRACK,
            (ITEM, row.node_id),
            team_id=teams.get(row.node_id),
            numbers=reason["numbers"],
            evidence=open_tasks[row.node_id],
            now=now,
        )
        for row, reason in overdue
    ]


def _blocked_chains(workspace: Workspace, now: Any) -> list[Finding]:
    """Open tasks waiting on open work of another team, with the chain of blockers."""
    open_ids = Task.objects.filter(
        workspace=workspace, state_category__in=sorted(OPEN_CATEGORIES)
    ).values("id")
    edges = list(
        TaskDependency.objects.filter(
            workspace=workspace, blocking_id__in=open_ids, blocked_id__in=open_ids
        ).values_list("blocking_id", "blocked_id", "blocking__team_id", "blocked__team_id")
    )
    blockers: dict[int, list[int]] = defaultdict(list)
    team_of: dict[int, int] = {}
    for blocking, blocked, blocking_team, blocked_team in edges:
        blockers[blocked].append(blocking)
        team_of[blocking], team_of[blocked] = blocking_team, blocked_team
    found = []
    for blocked, direct in sorted(blockers.items()):
        chain: list[int] = []
        frontier, seen = list(direct), {blocked}
        while frontier and len(chain) < CHAIN_LIMIT:
            node = frontier.pop(0)
            if node in seen:
                continue
            seen.add(node)
            chain.append(node)
            frontier.extend(blockers.get(node, []))
        other_teams = {team_of[n] for n in chain} - {team_of[blocked]}
        if not other_teams:
            continue
        found.append(
            _finding(
                workspace,
                "blocked_across_teams",
                okr_math.AT_RISK if len(chain) == 1 else okr_math.OFF_TRACK,
                (TASK, blocked),
                team_id=team_of[blocked],
                numbers={"depth": float(len(chain)), "teams": float(len(other_teams))},
                evidence=[(TASK, n) for n in chain] + [(TEAM, t) for t in sorted(other_teams)],
                now=now,
            )
        )
    return found


def _scope_added(workspace: Workspace, thresholds: DriftThresholds, now: Any) -> list[Finding]:
    """Active sprints that grew after they started by more than the allowed share."""
    found = []
    for team_id, data in TeamMetrics.objects.filter(workspace=workspace).values_list(
        "team_id", "data"
    ):
        for flow in (data or {}).get("sprints", []):
            if flow.get("status") != SprintStatus.ACTIVE:
                continue
            committed = float(flow.get("committed_points") or 0)
            added = float(flow.get("added_points") or 0)
            share = added / committed if committed else (1.0 if added else 0.0)
            if added <= 0 or share <= thresholds.scope_added_max:
                continue
            found.append(
                _finding(
                    workspace,
                    "scope_added",
                    okr_math.AT_RISK,
                    (SPRINT, int(flow["sprint_id"])),
                    team_id=team_id,
                    numbers={
                        "added_points": added,
                        "committed_points": committed,
                        "share": round(share, 4),
                        "limit": thresholds.scope_added_max,
                        "added_count": float(flow.get("added_count") or 0),
                    },
                    evidence=[(TEAM, team_id)],
                    now=now,
                )
            )
    return found


def _duplicate_work(workspace: Workspace, thresholds: DriftThresholds, now: Any) -> list[Finding]:
    """Open tasks of two teams with near-equal titles, serving the same thing or nothing."""
    found = []
    minimum = duplicates.effective_minimum(thresholds.duplicate_similarity_min)
    for pair in duplicates.suspected_duplicates(
        workspace,
        minimum=minimum,
        window_days=thresholds.duplicate_window_days,
        now=now,
    ):
        evidence: list[tuple[str, int]] = [
            (TASK, pair.other_id),
            (TEAM, pair.task_team_id),
            (TEAM, pair.other_team_id),
        ]
        if pair.shared is not None:
            evidence.append(pair.shared)
        found.append(
            _finding(
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
                now=now,
            )
        )
    return found


def compute_findings(workspace: Workspace, *, now: Any = None) -> list[Finding]:
    """Every finding of a workspace, unsaved."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    thresholds = DriftThresholds.from_settings(workspace.settings)
    return [
        *_alignment(workspace, thresholds, now),
        *_key_results(workspace, thresholds, today, now),
        *_objectives_without_work(workspace, now),
        *_overdue_items(workspace, thresholds, now),
        *_blocked_chains(workspace, now),
        *_scope_added(workspace, thresholds, now),
        *_duplicate_work(workspace, thresholds, now),
    ]


@transaction.atomic
def refresh_findings(workspace: Workspace, *, now: Any = None) -> int:
    """Replace a workspace's stored findings with fresh ones; findings written."""
    findings = compute_findings(workspace, now=now)
    Finding.objects.filter(workspace=workspace).delete()
    Finding.objects.bulk_create(findings)
    return len(findings)
