"""Drift and risk findings: what is slipping or off-plan, why (numbers), and the records behind it.

Each finding names its subject, carries its measurements and the evidence as [kind, id] pairs
(the tasks, KRs, sprints it is about), so a page can say *why* in a sentence and link each
record. Thresholds are workspace settings (`workspace.settings["dashboards"]`) with defaults.
A job replaces a workspace's findings as a whole; pages read the stored rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment import timezones
from alignment.models import Workspace
from dashboards import finding_sources
from dashboards.drift_base import (
    SETTINGS_KEY,
    TASK,
    DriftThresholds,
    item_levels,
    new_finding,
)
from dashboards.drift_forecast import likely_to_miss
from dashboards.drift_work import blocked_chains, duplicate_work, scope_added
from dashboards.models import Finding, FindingDismissal, Rollup
from dashboards.rollups.math import ITEM, KR, OBJECTIVE, SPRINT, TEAM
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective, ObjectiveStatus
from roadmaps.models import CLOSED_ITEM_STATUSES, KeyResultLink, RoadmapItem
from tasks.models import OPEN_CATEGORIES, Sprint, SprintStatus, StateCategory, Task

__all__ = ["SETTINGS_KEY", "DriftThresholds", "compute_findings", "refresh_findings"]


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
            new_finding(
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
                points=float(row.total_points - row.aligned_points),
                now=now,
            )
        )
    return found


def _key_results(
    workspace: Workspace, thresholds: DriftThresholds, today: date, now: Any
) -> list[Finding]:
    """KRs of active objectives behind pace (from their rollups) or without a recent check-in."""
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
            "objective__level",
            "objective__period__start",
            "objective__period__end",
        )
    }
    for row in Rollup.objects.filter(workspace=workspace, kind=KR, node_id__in=list(krs)):
        behind = next((r for r in row.reasons if r.get("code") == "behind_pace"), None)
        if behind is None or row.status == okr_math.ON_TRACK or row.progress >= 1:
            continue
        kr = krs[row.node_id]
        found.append(
            new_finding(
                workspace,
                "kr_behind_pace",
                row.status,
                (KR, row.node_id),
                team_id=kr["objective__team_id"],
                numbers=behind.get("numbers", {}),
                evidence=[(OBJECTIVE, kr["objective_id"])],
                points=max(float(row.total_points - row.done_points), 0.0),
                level=kr["objective__level"],
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
            timezones.local_date(workspace, last)
            if last
            else max(start, timezones.local_date(workspace, kr["created_at"]))
        )
        days = (today - since).days
        if days <= limit:
            continue
        found.append(
            new_finding(
                workspace,
                "kr_no_check_in",
                okr_math.AT_RISK,
                (KR, kr["id"]),
                team_id=kr["objective__team_id"],
                numbers={"days": float(days), "limit": float(limit), "never": float(last is None)},
                evidence=[(OBJECTIVE, kr["objective_id"])],
                level=kr["objective__level"],
                days_late=days - limit,
                now=now,
            )
        )
    return found


def _objectives_without_work(workspace: Workspace, today: date, now: Any) -> list[Finding]:
    """Active objectives of a current period with no linked roadmap item and nothing aligned."""
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
        new_finding(
            workspace,
            "objective_without_work",
            okr_math.AT_RISK,
            (OBJECTIVE, objective_id),
            team_id=team_id,
            level=level,
            now=now,
        )
        for objective_id, team_id, level in objectives.values_list(
            "id", "team_id", "level"
        ).order_by("id")
        if objective_id not in linked and objective_id not in aligned
    ]


def _overdue_items(
    workspace: Workspace, thresholds: DriftThresholds, levels: dict[int, str], now: Any
) -> list[Finding]:
    """Roadmap items past their target date with open tasks; done or canceled items never."""
    rows = Rollup.objects.filter(workspace=workspace, kind=ITEM, status=okr_math.OFF_TRACK)
    overdue = []
    for row in rows:
        reason = next((r for r in row.reasons if r.get("code") == "past_target_date"), None)
        if reason is None or reason["numbers"].get("days_late", 0) <= thresholds.overdue_grace_days:
            continue
        overdue.append((row, reason))
    if not overdue:
        return []
    # The item's own status decides: a roadmap item marked Done (or Canceled) is not "late"
    # even if some of its tasks were left open.
    closed = set(
        RoadmapItem.objects.filter(
            workspace=workspace,
            pk__in=[r.node_id for r, _ in overdue],
            status__in=sorted(CLOSED_ITEM_STATUSES),
        ).values_list("id", flat=True)
    )
    overdue = [(row, reason) for row, reason in overdue if row.node_id not in closed]
    open_tasks: dict[int, list[tuple[str, int]]] = defaultdict(list)
    open_points: dict[int, float] = defaultdict(float)
    teams: dict[int, int] = {}
    for task_id, item_id, team_id, estimate in (
        Task.objects.filter(roadmap_item_id__in=[r.node_id for r, _ in overdue])
        .filter(state_category__in=sorted(OPEN_CATEGORIES))
        .order_by("id")
        .values_list("id", "roadmap_item_id", "team_id", "estimate")
    ):
        open_tasks[item_id].append((TASK, task_id))
        open_points[item_id] += float(estimate or 0)
        teams.setdefault(item_id, team_id)
    return [
        new_finding(
            workspace,
            "item_overdue",
            okr_math.OFF_TRACK,
            (ITEM, row.node_id),
            team_id=teams.get(row.node_id),
            numbers=reason["numbers"],
            evidence=open_tasks[row.node_id],
            points=open_points[row.node_id],
            level=levels.get(row.node_id, ""),
            days_late=float(reason["numbers"].get("days_late", 0)),
            now=now,
        )
        for row, reason in overdue
        if open_tasks[row.node_id]  # nothing open: nothing left to be late with
    ]


def compute_findings(workspace: Workspace, *, now: Any = None) -> list[Finding]:
    """Every finding of a workspace, unsaved, one per (code, subject)."""
    now = now or timezone.now()
    today = timezones.today(workspace, now=now)
    thresholds = DriftThresholds.from_settings(workspace.settings)
    levels = item_levels(workspace)
    found = [
        *_alignment(workspace, thresholds, now),
        *_key_results(workspace, thresholds, today, now),
        *_objectives_without_work(workspace, today, now),
        *_overdue_items(workspace, thresholds, levels, now),
        *blocked_chains(workspace, levels, now),
        *scope_added(workspace, thresholds, now),
        *duplicate_work(workspace, thresholds, levels, now),
        *[f for source in finding_sources.sources() for f in source.compute(workspace, now)],
        *likely_to_miss(workspace, thresholds, levels, now),
    ]
    unique: dict[tuple[str, str, int], Finding] = {}
    for finding in found:
        unique.setdefault(finding_key(finding), finding)
    return list(unique.values())


def finding_key(finding: Finding) -> tuple[str, str, int]:
    """What identifies a finding across refreshes: its code and its subject."""
    return (finding.code, finding.subject_kind, int(finding.subject_id))


STORED_FIELDS = (
    "severity",
    "team_id",
    "numbers",
    "evidence",
    "computed_at",
    "impact",
    "points",
    "level",
    "days_late",
)


@transaction.atomic
def refresh_findings(workspace: Workspace, *, now: Any = None) -> int:
    """Bring a workspace's stored findings up to date; findings stored.

    A finding whose cause persists keeps its row (and id: links and the API stay valid); one
    whose cause is gone is deleted, and so is any dismissal or snooze of it, so the same cause
    coming back later is shown again. Snoozes that have run out are dropped."""
    now = now or timezone.now()
    fresh = {finding_key(f): f for f in compute_findings(workspace, now=now)}
    stored = {finding_key(f): f for f in Finding.objects.filter(workspace=workspace)}
    gone = [f.pk for key, f in stored.items() if key not in fresh]
    if gone:
        Finding.objects.filter(pk__in=gone).delete()
    changed = []
    for key, finding in fresh.items():
        old = stored.get(key)
        if old is None:
            continue
        finding.pk = old.pk
        changed.append(finding)
    if changed:
        Finding.objects.bulk_update(changed, STORED_FIELDS)
    Finding.objects.bulk_create([f for key, f in fresh.items() if key not in stored])
    _forget_dismissals(workspace, set(fresh), timezones.today(workspace, now=now))
    return len(fresh)


def _forget_dismissals(workspace: Workspace, keys: set[tuple[str, str, int]], today: date) -> None:
    """Dismissals whose cause is gone, and snoozes that ended, no longer apply."""
    stale = [
        pk
        for pk, code, kind, subject_id, until in FindingDismissal.objects.filter(
            workspace=workspace
        ).values_list("id", "code", "subject_kind", "subject_id", "until")
        if (code, kind, int(subject_id)) not in keys or (until is not None and until <= today)
    ]
    if stale:
        FindingDismissal.objects.filter(pk__in=stale).delete()
