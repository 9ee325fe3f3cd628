"""Daily snapshots of every rollup, and a backfill that rebuilds past days from history.

`take_daily` (the beat job) first recomputes everything (statuses depend on the date), then
copies each rollup into a `Snapshot` row for the day, with the task count per workflow state
category of each active sprint (the cumulative flow chart). `backfill` replays `TaskEvent` rows and
check-ins to compute what each roadmap item, sprint, key result and objective looked like at
the end of each past day, with the same per-node functions the live rollups use. It assumes a
task's roadmap item and a KR's links were what they are now (neither is kept as history).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count

from alignment import timezones
from alignment.models import Workspace
from dashboards import freshness, metrics, rollups
from dashboards.models import Snapshot
from dashboards.rollups import math as rollup_math
from dashboards.rollups import math_okr as rollup_math_okr
from dashboards.rollups import passes as rollup_passes
from dashboards.rollups.math import (
    ITEM,
    KR,
    OBJECTIVE,
    SPRINT,
    ItemFacts,
    SprintFacts,
    Work,
)
from dashboards.rollups.math_okr import ObjectiveFacts, OkrInputs
from okrs import progress as okr_math
from okrs.facts import key_result_facts
from okrs.models import CheckIn, KeyResult, Objective
from readmodel.models import Rollup
from roadmaps.models import KeyResultLink, RoadmapItem
from tasks.models import Sprint, SprintStatus, StateCategory, Task, TaskEvent

FIELDS = [
    "workspace",
    "progress",
    "expected",
    "done_points",
    "total_points",
    "aligned_points",
    "state_counts",
    "status",
    "source",
]
# The categories a sprint's flow is counted in; canceled work has left the sprint's flow.
FLOW_CATEGORIES = [c for c in StateCategory.values if c != StateCategory.CANCELED]


def _upsert(snapshots: Sequence[Snapshot]) -> int:
    Snapshot.objects.bulk_create(
        snapshots,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["kind", "node_id", "day"],
        update_fields=[f if f != "workspace" else "workspace_id" for f in FIELDS],
    )
    return len(snapshots)


def _snapshot(
    row: Rollup, day: date, source: str, counts: Mapping[str, int] | None = None
) -> Snapshot:
    """`counts`: tasks per state category, for a sprint measured that day (else left empty)."""
    return Snapshot(
        workspace_id=row.workspace_id,
        day=day,
        kind=row.kind,
        node_id=row.node_id,
        progress=row.progress,
        expected=row.expected,
        done_points=row.done_points,
        total_points=row.total_points,
        aligned_points=row.aligned_points,
        state_counts={c: int(counts.get(c, 0)) for c in FLOW_CATEGORIES}
        if counts is not None
        else {},
        status=row.status,
        source=source,
    )


def active_sprint_counts(workspace: Workspace) -> dict[int, dict[str, int]]:
    """Tasks per state category of every active sprint, now: one aggregate query.

    Closed sprints are left out: their current membership no longer says what was in them
    (unfinished work moved on), and the backfill has their history."""
    counts: dict[int, dict[str, int]] = {
        pk: {}
        for pk in Sprint.objects.filter(
            workspace=workspace, status=SprintStatus.ACTIVE
        ).values_list("id", flat=True)
    }
    for sprint_id, category, number in (
        Task.objects.filter(workspace=workspace, sprint__status=SprintStatus.ACTIVE)
        .exclude(state_category=StateCategory.CANCELED)
        .values_list("sprint_id", "state_category")
        .annotate(number=Count("id"))
        .order_by()
    ):
        counts.setdefault(sprint_id, {})[category] = number
    return counts


@transaction.atomic
def take(workspace: Workspace, *, day: date | None = None) -> int:
    """Store today's rollup of every node of a workspace; snapshots written."""
    day = day or timezones.today(workspace)
    counts = active_sprint_counts(workspace)
    return _upsert(
        [
            _snapshot(r, day, "daily", counts.get(r.node_id) if r.kind == SPRINT else None)
            for r in Rollup.objects.filter(workspace=workspace)
        ]
    )


def take_daily(workspace: Workspace, *, day: date | None = None) -> int:
    """The beat job for one workspace: refresh rollups, metrics and findings, then snapshot."""
    rollups.recompute_all(workspace, today=day)
    freshness.refresh_now(workspace.pk)  # metrics, then the findings that read them
    return take(workspace, day=day)


# ---- backfill ----------------------------------------------------------------------------------


def _sprint_status(workspace: Workspace, sprint: Sprint, cut: datetime) -> str:
    if sprint.closed_at and sprint.closed_at <= cut:
        return SprintStatus.CLOSED
    if sprint.started_at and sprint.started_at <= cut:
        return SprintStatus.ACTIVE
    if sprint.status != SprintStatus.PLANNED and not sprint.started_at:
        start = timezones.day_start(workspace, sprint.start_date)
        return SprintStatus.ACTIVE if start <= cut else SprintStatus.PLANNED
    return SprintStatus.PLANNED


def _value_at(history: Sequence[tuple[datetime, Decimal, int]], cut: datetime) -> tuple | None:
    times = [h[0] for h in history]
    index = bisect_right(times, cut)
    return history[index - 1] if index else None


def backfill(workspace: Workspace, *, days: int, today: date | None = None) -> int:
    """Rebuild the snapshots of the last `days` days before today from history; rows written."""
    today = today or timezones.today(workspace)
    thresholds = okr_math.Thresholds.from_settings(workspace.settings)
    item_of = dict(Task.objects.filter(workspace=workspace).values_list("id", "roadmap_item_id"))
    histories: dict[int, list[metrics.Moment]] = defaultdict(list)
    for task_id, at, sprint_id, estimate, category in (
        TaskEvent.objects.filter(workspace=workspace)
        .order_by("task_id", "created_at", "id")
        .values_list("task_id", "created_at", "sprint_id", "estimate", "state_category")
    ):
        histories[task_id].append(metrics.Moment(at, sprint_id, float(estimate or 0), category))
    items = [
        ItemFacts(r["id"], workspace.pk, r["start_date"], r["target_date"], r["status"])
        for r in RoadmapItem.objects.filter(workspace=workspace).values(
            "id", "start_date", "target_date", "status"
        )
    ]
    sprints = list(Sprint.objects.filter(workspace=workspace))
    aligned = set(
        KeyResultLink.objects.filter(
            workspace=workspace, key_result__objective__status="active"
        ).values_list("item_id", flat=True)
    )
    links: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    for kr_id, item_id, weight in KeyResultLink.objects.filter(workspace=workspace).values_list(
        "key_result_id", "item_id", "weight"
    ):
        links[kr_id].append((weight, item_id))
    objectives = {
        o.pk: o for o in Objective.objects.filter(workspace=workspace).select_related("period")
    }
    key_results = list(KeyResult.objects.filter(workspace=workspace).order_by("position", "id"))
    check_ins: dict[int, list[tuple[datetime, Decimal, int]]] = defaultdict(list)
    for kr_id, at, value, confidence in (
        CheckIn.objects.filter(workspace=workspace)
        .order_by("created_at", "id")
        .values_list("key_result_id", "created_at", "value", "confidence")
    ):
        check_ins[kr_id].append((at, value, confidence))
    past = _Past(
        histories=histories,
        item_of=item_of,
        items=items,
        sprints=sprints,
        aligned=aligned,
        links=links,
        objectives=objectives,
        key_results=key_results,
        check_ins=check_ins,
        thresholds=thresholds,
    )
    written = 0
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        written += _upsert(_day_rows(workspace, day, past))
    return written


@dataclass
class _Past:
    """A workspace's history, read once for all the days a backfill rebuilds. The key results
    are rewound day by day (oldest first) to the value of their check-in that day."""

    histories: dict[int, list[metrics.Moment]]
    item_of: Mapping[int, int | None]
    items: Iterable[ItemFacts]
    sprints: Iterable[Sprint]
    aligned: set[int]
    links: dict[int, list[tuple[Decimal, int]]]
    objectives: dict[int, Objective]
    key_results: Sequence[KeyResult]
    check_ins: dict[int, list[tuple[datetime, Decimal, int]]]
    thresholds: okr_math.Thresholds


@dataclass
class _DayWork:
    """The work counted at a day's end: by roadmap item, by sprint, and each sprint's task
    count per state category (its flow)."""

    by_item: dict[int, Work] = field(default_factory=lambda: defaultdict(Work))
    by_sprint: dict[int, Work] = field(default_factory=lambda: defaultdict(Work))
    flow: dict[int, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )


def _day_rows(workspace: Workspace, day: date, past: _Past) -> list[Snapshot]:
    # A snapshot day is the workspace's day: its last instant in the workspace's zone.
    cut = timezones.day_end(workspace, day)
    work = _work_at(past, cut)
    item_rows = {
        item.id: rollup_math.item_rollup(
            item, work.by_item.get(item.id, Work()), feeds={}, today=day, thresholds=past.thresholds
        )
        for item in past.items
    }
    rows: list[Rollup] = [
        *item_rows.values(),
        *_sprint_rows(workspace, past, work, day, cut),
        *_okr_rows(workspace, past, item_rows, day, cut),
    ]
    # A sprint's flow is measured on the days it ran (planned days were skipped above).
    return [
        _snapshot(
            row, day, "backfill", work.flow.get(row.node_id, {}) if row.kind == SPRINT else None
        )
        for row in rows
        if row.kind in (ITEM, SPRINT, KR, OBJECTIVE)
    ]


def _work_at(past: _Past, cut: datetime) -> _DayWork:
    """Each task as its history says it was at `cut`, counted for its item and sprint."""
    day_work = _DayWork()
    for task_id, history in past.histories.items():
        if history[0].at > cut:
            continue
        moment = metrics.state_at(history, cut, inclusive=True)
        if moment is None or moment.category == StateCategory.CANCELED:
            continue
        points = Decimal(str(moment.estimate))
        done = moment.category == StateCategory.DONE
        work = Work(points if done else Decimal(0), points, int(done), 1)
        item_id = past.item_of.get(task_id)
        if item_id is not None:
            day_work.by_item[item_id].add(work)
        if moment.sprint_id is not None:
            if item_id in past.aligned:
                work.aligned_points = points
            day_work.by_sprint[moment.sprint_id].add(work)
            day_work.flow[moment.sprint_id][moment.category] += 1
    return day_work


def _sprint_rows(
    workspace: Workspace, past: _Past, work: _DayWork, day: date, cut: datetime
) -> list[Rollup]:
    """The rows of the sprints that had started by `cut`."""
    rows = []
    for sprint in past.sprints:
        status = _sprint_status(workspace, sprint, cut)
        if status == SprintStatus.PLANNED:
            continue
        facts = SprintFacts(
            sprint.pk, workspace.pk, sprint.team_id, sprint.start_date, sprint.end_date, status
        )
        rows.append(
            rollup_math.sprint_rollup(
                facts,
                work.by_sprint.get(sprint.pk, Work()),
                inputs={},
                today=day,
                thresholds=past.thresholds,
            )
        )
    return rows


def _key_results_at(
    workspace: Workspace, past: _Past, live: Mapping[int, Objective], cut: datetime
) -> dict[int, list[okr_math.KeyResultFacts]]:
    """The live objectives' key results that existed at `cut`, with the value and confidence
    of their check-in then (rewinding the shared KeyResult objects)."""
    zone = timezones.workspace_zone(workspace)
    krs_of: dict[int, list[okr_math.KeyResultFacts]] = defaultdict(list)
    for kr in past.key_results:
        if kr.objective_id not in live or kr.created_at > cut:
            continue
        checks = past.check_ins.get(kr.pk, [])
        then = _value_at(checks, cut)
        if then is not None:  # the value and confidence as of that day
            kr.last_check_in_at, kr.current, kr.confidence = then
        elif checks:  # checked in later, not yet then
            kr.last_check_in_at, kr.current = None, kr.baseline
        krs_of[kr.objective_id].append(key_result_facts(kr, tz=zone))
    return krs_of


def _okr_rows(
    workspace: Workspace, past: _Past, item_rows: dict[int, Rollup], day: date, cut: datetime
) -> list[Rollup]:
    """Key result and objective rows of the objectives live on `day`, children first."""
    live = {
        pk: o
        for pk, o in past.objectives.items()
        if o.period.start <= day <= o.period.end
        and timezones.local_date(workspace, o.created_at) <= day
    }
    owner_of_kr = {kr.pk: kr.objective_id for kr in past.key_results}
    live_facts = {
        pk: ObjectiveFacts.of(o, owner_of_kr.get(o.parent_key_result_id or 0))
        for pk, o in live.items()
    }
    krs_of = _key_results_at(workspace, past, live, cut)
    aligned_of, under = rollup_math_okr.route_aligned(
        live_facts, (kr for krs in krs_of.values() for kr in krs), live_facts.values()
    )
    rows: list[Rollup] = []
    objective_rows: dict[int, Rollup] = {}

    def built(pairs: list[tuple[Decimal, int]]) -> list[tuple[Decimal, Rollup]]:
        return [(w, objective_rows[o]) for w, o in pairs if o in objective_rows]

    for objective_id in rollup_passes._children_first(live_facts):
        objective = live_facts[objective_id]
        pairs = []
        for kr_facts in krs_of[objective_id]:
            inputs = OkrInputs(
                links={
                    kr_facts.id: [
                        (w, item_rows[i])
                        for w, i in past.links.get(kr_facts.id, [])
                        if i in item_rows
                    ]
                },
                aligned={kr_facts.id: built(aligned_of.get(kr_facts.id, []))},
            )
            row = rollup_math_okr.key_result_rollup(
                kr_facts, objective, inputs, today=day, thresholds=past.thresholds
            )
            rows.append(row)
            pairs.append((kr_facts, row))
        objective_row = rollup_math_okr.objective_rollup(
            objective,
            pairs,
            built(under.get(objective_id, [])),
            today=day,
            thresholds=past.thresholds,
        )
        objective_rows[objective_id] = objective_row
        rows.append(objective_row)
    return rows
