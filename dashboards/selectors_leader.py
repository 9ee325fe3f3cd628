"""Reads for the leader dashboard: materialized rows only, a fixed number of queries.

Company progress against pace, the objectives and what is at risk with their reasons, the
ranked findings, the company trend from daily snapshots and the teams side by side. The rows
a page reads are first brought up to date through the read model's freshness step
(`readmodel.selectors.refresh_rows_of`), as on every other page; nothing here recomputes
progress.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from django.db.models import Q, QuerySet

from alignment import timezones
from alignment.models import Membership, Team, Workspace
from dashboards import charts, freshness
from dashboards import findings as findings_read
from dashboards import widgets as widget_registry
from dashboards.models import DoraBenchmark, Finding, Snapshot
from dashboards.node_view import NodeView, reason_keys, reason_sentences
from dashboards.reasons import Link, Names, ShownFinding, finding_keys, shown
from dashboards.rollups.math import KR, OBJECTIVE, TEAM
from dashboards.team_rows import TeamRow, latest_benchmark, team_rows
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective, ObjectiveLevel, Period
from okrs.selectors import current_period
from readmodel.models import Rollup
from readmodel.selectors import refresh_rows_of

LIST_SHOWN = 50  # objectives and at-risk rows on the page; the CSV has them all
LEADER_PARTS = frozenset({"progress", "trend", "at_risk", "findings", "teams"})
TREND_DAYS = 30


@dataclass
class LeaderDashboard:
    """The leader dashboard's data; only the `parts` asked for are loaded (the rest stay empty)."""

    workspace: Workspace
    today: date
    period: Period | None
    parts: frozenset[str]
    progress: float = 0.0
    expected: float = 0.0
    objectives: list[NodeView] = field(default_factory=list)
    at_risk: list[NodeView] = field(default_factory=list)
    objective_count: int = 0
    at_risk_count: int = 0
    findings: list[ShownFinding] = field(default_factory=list)
    finding_count: int = 0
    finding_groups: findings_read.GroupedFindings | None = None
    teams: list[TeamRow] = field(default_factory=list)
    benchmark: DoraBenchmark | None = None
    computed_at: Any = None
    trend: charts.Chart | None = None
    findings_clock: freshness.Clock | None = None  # "as of" of findings and team metrics
    extensions: dict[str, Any] = field(default_factory=dict)  # widgets of other apps

    @property
    def percent(self) -> int:
        return round(self.progress * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    @property
    def status(self) -> str:
        thresholds = okr_math.Thresholds.from_settings(self.workspace.settings)  # as every node
        gap = self.progress - self.expected
        if gap <= -thresholds.off_track_gap:
            return okr_math.OFF_TRACK
        if gap <= -thresholds.at_risk_gap:
            return okr_math.AT_RISK
        return okr_math.ON_TRACK


@dataclass
class _Loaded:
    """What the steps of `leader_dashboard` hand on to each other."""

    in_period: QuerySet[Objective]
    limit: int | None
    company: list[Objective] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)
    rows: dict[tuple[str, int], Rollup] = field(default_factory=dict)
    at_risk_rows: list[Rollup] = field(default_factory=list)
    stored: list[Finding] = field(default_factory=list)


def _bounded(rows: QuerySet[Any], limit: int | None) -> list[Any]:
    return list(rows[:limit] if limit is not None else rows)


def _refresh(dash: LeaderDashboard, loaded: _Loaded) -> None:
    """The rows this page reads, brought up to date in one bulk step (missing rows, rows from
    an earlier day, the queue): the same promise as every other page (readmodel.selectors)."""
    workspace, wanted = dash.workspace, dash.parts
    if wanted & {"findings", "teams"}:
        # Embedded: refresh what committed changes made stale before reading (one query if none).
        dash.findings_clock = freshness.ensure_fresh(workspace)
    stale_checked: dict[str, QuerySet[Any]] = {}
    if wanted & {"progress", "at_risk"}:
        stale_checked[OBJECTIVE] = loaded.in_period
    if "at_risk" in wanted:
        stale_checked[KR] = KeyResult.objects.filter(
            workspace=workspace, objective__in=loaded.in_period
        )
    if "teams" in wanted:
        stale_checked[TEAM] = Team.objects.for_workspace(workspace)
    refresh_rows_of(workspace.pk, stale_checked, today=dash.today)


def _company(loaded: _Loaded) -> list[Objective]:
    """The headline's objectives: the company ones, or the roots when there are none."""
    fields = ("id", "weight", "level")
    in_period = loaded.in_period
    return list(in_period.filter(level=ObjectiveLevel.COMPANY).only(*fields)) or list(
        in_period.filter(parent__isnull=True).only(*fields)
    )


def _load_objectives(dash: LeaderDashboard, loaded: _Loaded) -> None:
    """The period's objectives shown (bounded) and the stored rows of those and the company's."""
    loaded.objectives = _bounded(loaded.in_period.order_by("level", "title", "id"), loaded.limit)
    dash.objective_count = loaded.in_period.count()  # always asked: the query count stays flat
    shown_ids = {o.pk for o in loaded.objectives} | {o.pk for o in loaded.company}
    for r in Rollup.objects.filter(workspace=dash.workspace, kind=OBJECTIVE, node_id__in=shown_ids):
        loaded.rows[(r.kind, r.node_id)] = r


def _load_at_risk(dash: LeaderDashboard, loaded: _Loaded) -> None:
    """Most serious first, chosen in SQL so the page reads a bounded number of rows."""
    in_period = loaded.in_period
    krs = KeyResult.objects.filter(objective__in=in_period).values("id")
    risky = (
        Rollup.objects.filter(
            workspace=dash.workspace, status__in=[okr_math.AT_RISK, okr_math.OFF_TRACK]
        )
        .filter(Q(kind=OBJECTIVE, node_id__in=in_period.values("id")) | Q(kind=KR, node_id__in=krs))
        .order_by("-status", "-kind", "node_id")
    )
    loaded.at_risk_rows = _bounded(risky, loaded.limit)
    dash.at_risk_count = risky.count()


def _load_findings(dash: LeaderDashboard, loaded: _Loaded, viewer: Membership | None) -> None:
    """Grouped by kind, ranked, the top few of each (dashboards.findings)."""
    per_group = findings_read.TOP_PER_GROUP if loaded.limit is not None else None
    groups = findings_read.grouped(
        dash.workspace, today=dash.today, per_group=per_group, viewer=viewer
    )
    dash.finding_groups = groups
    loaded.stored, dash.finding_count = groups.stored, groups.count


def _attach_names(dash: LeaderDashboard, loaded: _Loaded, viewer: Membership | None) -> None:
    """Links and sentences of the objectives, at-risk rows and findings: one query for all."""
    keys = [(OBJECTIVE, o.pk) for o in loaded.objectives]
    for row in [*loaded.rows.values(), *loaded.at_risk_rows]:
        keys.append((row.kind, row.node_id))
        keys.extend(reason_keys(row))
    names = Names.load(dash.workspace, [*keys, *finding_keys(loaded.stored)], viewer=viewer)

    def view(row: Rollup | None, kind: str, node_id: int, level: str = "") -> NodeView:
        link = names.get(kind, node_id) or Link(kind, node_id, f"{kind} {node_id}", None)
        return NodeView(link=link, row=row, sentences=reason_sentences(row, names), level=level)

    dash.objectives = [
        view(loaded.rows.get((OBJECTIVE, o.pk)), OBJECTIVE, o.pk, o.level)
        for o in loaded.objectives
    ]
    dash.at_risk = [view(r, r.kind, r.node_id) for r in loaded.at_risk_rows]
    dash.findings = shown(loaded.stored, names)
    if dash.finding_groups is not None:
        dash.finding_groups.attach(dash.findings)


def _headline(dash: LeaderDashboard, loaded: _Loaded) -> None:
    """Company progress (its objectives' stored rows, weighted) against the expected pace."""
    rows, period = loaded.rows, dash.period
    pairs = [
        (float(rows[(OBJECTIVE, o.pk)].progress), float(o.weight))
        for o in loaded.company
        if (OBJECTIVE, o.pk) in rows
    ]
    dash.progress = okr_math.weighted_mean(pairs) or 0.0
    dash.expected = (
        okr_math.expected_progress(start=period.start, end=period.end, today=dash.today)
        if period
        else 0.0
    )
    computed = [r.computed_at for r in rows.values()]
    dash.computed_at = max(computed) if computed else None


def _extensions(dash: LeaderDashboard, parts: Collection[str] | None, viewer: Any) -> None:
    """Widgets of other apps, loaded by their own registered loaders."""
    for part in sorted(set(parts or ()) & set(widget_registry.EXTENSION_LOADERS)):
        loader = widget_registry.EXTENSION_LOADERS[part]
        dash.extensions[part] = loader(workspace=dash.workspace, viewer=viewer, today=dash.today)


def leader_dashboard(
    workspace: Workspace,
    *,
    parts: Collection[str] | None = None,
    today: date | None = None,
    limit: int | None = LIST_SHOWN,
    period: Period | None | Literal["current"] = "current",
    viewer: Membership | None = None,
) -> LeaderDashboard:
    """Company progress against pace, what is at risk and why, drift, and the teams side by side.

    `parts` (default: all of LEADER_PARTS) says what to load; each costs a fixed number of
    queries whatever the data size, and the record names of all of them load together; `period`
    is the one chosen on the page (dashboards.period_picker), else the current one."""
    wanted = LEADER_PARTS if parts is None else frozenset(parts) & LEADER_PARTS
    today = today or timezones.today(workspace)
    if period == "current":
        period = current_period(workspace, today=today)
    dash = LeaderDashboard(workspace=workspace, today=today, period=period, parts=wanted)
    in_period = Objective.objects.for_workspace(workspace).live().filter(period=period)
    loaded = _Loaded(in_period=in_period, limit=limit)
    _refresh(dash, loaded)
    if wanted & {"progress", "trend"}:
        loaded.company = _company(loaded)
    if "progress" in wanted:
        _load_objectives(dash, loaded)
    if "at_risk" in wanted:
        _load_at_risk(dash, loaded)
    if "findings" in wanted:
        _load_findings(dash, loaded, viewer)
    if wanted & {"progress", "at_risk", "findings"}:
        _attach_names(dash, loaded, viewer)
    if "progress" in wanted:
        _headline(dash, loaded)
    if "trend" in wanted:
        dash.trend = _company_trend(workspace, loaded.company, today)
    if "teams" in wanted:
        dash.teams = team_rows(workspace, viewer)
        dash.benchmark = latest_benchmark()
    _extensions(dash, parts, viewer)
    return dash


def _company_trend(workspace: Workspace, company: Sequence[Objective], today: date) -> charts.Chart:
    """Company progress and the expected pace per day, from the daily snapshots: one query."""
    weights = {o.pk: float(o.weight) for o in company}
    per_day: dict[date, list[tuple[float, float, float]]] = {}
    for day, node_id, progress, expected in Snapshot.objects.filter(
        workspace=workspace,
        kind=OBJECTIVE,
        node_id__in=list(weights),
        day__gte=today - timedelta(days=TREND_DAYS),
    ).values_list("day", "node_id", "progress", "expected"):
        per_day.setdefault(day, []).append((float(progress), float(expected), weights[node_id]))
    days = sorted(per_day)
    done = [okr_math.weighted_mean((p, w) for p, _, w in per_day[d]) or 0.0 for d in days]
    pace = [okr_math.weighted_mean((e, w) for _, e, w in per_day[d]) or 0.0 for d in days]
    return charts.line_chart(
        "company-trend",
        "Company progress per day against the expected pace (percent)",
        [d.isoformat()[5:] for d in days],
        [
            ("Progress", "series", [round(v * 100, 1) for v in done]),
            ("Expected", "series-ideal", [round(v * 100, 1) for v in pace]),
        ],
        unit="%",
    )
