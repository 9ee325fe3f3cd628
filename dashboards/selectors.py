"""Reads for the dashboard pages and API: materialized rows only, a fixed number of queries.

Nothing here recomputes progress: rollups, findings, team metrics and snapshots are written
by jobs; these functions load them for a whole page at once and attach names and links. The
rollup rows a page reads are first brought up to date through the read model's freshness
step (`readmodel.selectors.refresh_rows_of`: queue drained, missing and earlier-day rows
computed), as on every other page.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.utils import timezone

from alignment.models import Membership, Team, Workspace
from dashboards import charts, freshness
from dashboards import findings as findings_read
from dashboards.models import DoraBenchmark, Finding, Snapshot, TeamMetrics
from dashboards.reasons import Link, Names, ShownFinding, finding_keys, reason_sentence, shown
from dashboards.rollup_math import KR, OBJECTIVE, SPRINT, TEAM
from dashboards.team_rows import DORA_METRICS, DoraCell, TeamRow, dora_value  # noqa: F401 (re-exported)
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective, ObjectiveLevel, Period
from okrs.selectors import current_period
from readmodel.models import Rollup
from readmodel.selectors import refresh_rows_of
from tasks.models import Sprint, SprintStatus, StateCategory

FINDINGS_SHOWN = 50
LIST_SHOWN = 50  # objectives and at-risk rows on the page; the CSV has them all


@dataclass
class NodeView:
    """A node with its stored rollup, its link and its reasons as sentences."""

    link: Link
    row: Rollup | None
    sentences: list[str] = field(default_factory=list)
    level: str = ""

    @property
    def status(self) -> str:
        return self.row.status if self.row else okr_math.ON_TRACK

    @property
    def percent(self) -> int:
        return self.row.percent if self.row else 0

    @property
    def expected_percent(self) -> int:
        return self.row.expected_percent if self.row else 0


LEADER_PARTS = frozenset({"progress", "trend", "at_risk", "findings", "teams"})


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


def _reasons(row: Rollup | None, names: Names) -> list[str]:
    return [reason_sentence(r, names) for r in row.reasons] if row else []


def latest_benchmark() -> DoraBenchmark | None:
    return DoraBenchmark.objects.order_by("-year", "rank").first()


def team_rows(workspace: Workspace, viewer: Membership | None = None) -> list[TeamRow]:
    """Every team (that `viewer` may see) with its rollup and stored metrics: three queries."""
    teams_of = Team.objects.visible_to(viewer) if viewer else Team.objects.for_workspace(workspace)
    teams = list(teams_of.order_by("name"))
    rollups = {r.node_id: r for r in Rollup.objects.filter(workspace=workspace, kind=TEAM)}
    metrics = dict(TeamMetrics.objects.filter(workspace=workspace).values_list("team_id", "data"))
    return [TeamRow(t, rollups.get(t.pk), metrics.get(t.pk) or {}) for t in teams]


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
    today = today or timezone.localdate()
    if period == "current":
        period = current_period(workspace, today=today)
    dash = LeaderDashboard(workspace=workspace, today=today, period=period, parts=wanted)
    if wanted & {"findings", "teams"}:
        # Embedded: refresh what committed changes made stale before reading (one query if none).
        dash.findings_clock = freshness.ensure_fresh(workspace)
    in_period = Objective.objects.for_workspace(workspace).live().filter(period=period)
    # The rows this page reads, brought up to date in one bulk step (missing rows, rows from
    # an earlier day, the queue): the same promise as every other page (readmodel.selectors).
    stale_checked: dict[str, QuerySet[Any]] = {}
    if wanted & {"progress", "at_risk"}:
        stale_checked[OBJECTIVE] = in_period
    if "at_risk" in wanted:
        stale_checked[KR] = KeyResult.objects.filter(workspace=workspace, objective__in=in_period)
    if "teams" in wanted:
        stale_checked[TEAM] = Team.objects.for_workspace(workspace)
    refresh_rows_of(workspace.pk, stale_checked, today=today)
    company: list[Objective] = []
    if wanted & {"progress", "trend"}:
        # The headline: company objectives (or the roots when there are none), weighted.
        company = list(
            in_period.filter(level=ObjectiveLevel.COMPANY).only("id", "weight", "level")
        ) or list(in_period.filter(parent__isnull=True).only("id", "weight", "level"))
    rows: dict[tuple[str, int], Rollup] = {}
    objectives: list[Objective] = []
    if "progress" in wanted:
        ordered = in_period.order_by("level", "title", "id")
        objectives = list(ordered[:limit] if limit is not None else ordered)
        dash.objective_count = in_period.count()  # always asked: the query count stays flat
        shown_ids = {o.pk for o in objectives} | {o.pk for o in company}
        for r in Rollup.objects.filter(workspace=workspace, kind=OBJECTIVE, node_id__in=shown_ids):
            rows[(r.kind, r.node_id)] = r
    at_risk_rows: list[Rollup] = []
    if "at_risk" in wanted:
        # Most serious first, chosen in SQL so the page reads a bounded number of rows.
        krs = KeyResult.objects.filter(objective__in=in_period).values("id")
        risky = (
            Rollup.objects.filter(
                workspace=workspace, status__in=[okr_math.AT_RISK, okr_math.OFF_TRACK]
            )
            .filter(
                Q(kind=OBJECTIVE, node_id__in=in_period.values("id")) | Q(kind=KR, node_id__in=krs)
            )
            .order_by("-status", "-kind", "node_id")
        )
        at_risk_rows = list(risky[:limit] if limit is not None else risky)
        dash.at_risk_count = risky.count()
    stored: list[Finding] = []
    if "findings" in wanted:  # grouped by kind, ranked, the top few of each (dashboards.findings)
        per_group = findings_read.TOP_PER_GROUP if limit is not None else None
        dash.finding_groups = findings_read.grouped(
            workspace, today=today, per_group=per_group, viewer=viewer
        )
        stored, dash.finding_count = dash.finding_groups.stored, dash.finding_groups.count
    if wanted & {"progress", "at_risk", "findings"}:
        keys = [(OBJECTIVE, o.pk) for o in objectives]
        for row in [*rows.values(), *at_risk_rows]:
            keys.append((row.kind, row.node_id))
            keys.extend((str(k), int(i)) for r in row.reasons for k, i in r.get("objects", []))
        names = Names.load(workspace, [*keys, *finding_keys(stored)], viewer=viewer)

        def view(row: Rollup | None, kind: str, node_id: int, level: str = "") -> NodeView:
            link = names.get(kind, node_id) or Link(kind, node_id, f"{kind} {node_id}", None)
            return NodeView(link=link, row=row, sentences=_reasons(row, names), level=level)

        dash.objectives = [
            view(rows.get((OBJECTIVE, o.pk)), OBJECTIVE, o.pk, o.level) for o in objectives
        ]
        dash.at_risk = [view(r, r.kind, r.node_id) for r in at_risk_rows]
        dash.findings = shown(stored, names)
        if dash.finding_groups is not None:
            dash.finding_groups.attach(dash.findings)
    if "progress" in wanted:
        pairs = [
            (float(rows[(OBJECTIVE, o.pk)].progress), float(o.weight))
            for o in company
            if (OBJECTIVE, o.pk) in rows
        ]
        dash.progress = okr_math.weighted_mean(pairs) or 0.0
        dash.expected = (
            okr_math.expected_progress(start=period.start, end=period.end, today=today)
            if period
            else 0.0
        )
        computed = [r.computed_at for r in rows.values()]
        dash.computed_at = max(computed) if computed else None
    if "trend" in wanted:
        dash.trend = _company_trend(workspace, company, today)
    if "teams" in wanted:
        dash.teams = team_rows(workspace, viewer)
        dash.benchmark = latest_benchmark()
    return dash


TREND_DAYS = 30


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


TEAM_PARTS = frozenset(  # "objectives": loaded by the page (period_picker) for the chosen period
    {"rollup", "sprint", "metrics", "findings", "history", "benchmark", "objectives"}
)
HISTORY_DAYS = 60  # a sprint's daily rows read for its flow chart: longer than any sprint
# Bottom to top, as cumulative flow charts stack them: finished work at the bottom.
FLOW_BANDS = [
    (StateCategory.DONE, "Done", "band-done"),
    (StateCategory.STARTED, "In progress", "band-started"),
    (StateCategory.UNSTARTED, "To do", "band-unstarted"),
    (StateCategory.BACKLOG, "Backlog", "band-backlog"),
]


@dataclass
class TeamDashboard:
    """A team dashboard's data; only the `parts` asked for are loaded (the rest stay empty)."""

    workspace: Workspace
    team: Team
    parts: frozenset[str]
    rollup: Rollup | None = None
    sprint: NodeView | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: list[ShownFinding] = field(default_factory=list)
    burndown: charts.Chart | None = None
    burnup: charts.Chart | None = None
    velocity: charts.Chart | None = None
    throughput: charts.Chart | None = None
    flow: charts.Chart | None = None  # cumulative flow of the active sprint
    alignment_trend: charts.Chart | None = None
    benchmark: DoraBenchmark | None = None
    findings_clock: freshness.Clock | None = None
    metrics_as_of: Any = None  # when the stored team metrics were computed

    @property
    def row(self) -> TeamRow:
        return TeamRow(self.team, self.rollup, self.metrics)

    @property
    def rows(self) -> list[TeamRow]:
        return [self.row]


def _burn_charts(team: Team, days: Sequence[dict[str, Any]]) -> tuple[charts.Chart, charts.Chart]:
    labels = [d["day"][5:] for d in days]
    remaining = [float(d["remaining"]) for d in days]
    scope = [float(d["scope"]) for d in days]
    done = [float(d["done"]) for d in days]
    start = remaining[0] if remaining else 0.0
    count = len(days)
    ideal = [start - start * i / (count - 1) if count > 1 else start for i in range(count)]
    burndown = charts.line_chart(
        f"burndown-{team.pk}",
        f"Burndown of {team.name}'s active sprint: points remaining each day",
        labels,
        [("Remaining", "series", remaining), ("Ideal", "series-ideal", ideal)],
    )
    burnup = charts.line_chart(
        f"burnup-{team.pk}",
        f"Burnup of {team.name}'s active sprint: scope and points done each day",
        labels,
        [("Scope", "series-scope", scope), ("Done", "series", done)],
    )
    return burndown, burnup


def _metric_charts(dash: TeamDashboard) -> None:
    team, metrics = dash.team, dash.metrics
    dash.burndown, dash.burnup = _burn_charts(team, (metrics.get("burn") or {}).get("days") or [])
    flows = metrics.get("sprints") or []
    closed = [f for f in flows if f.get("status") == "closed"]
    dash.velocity = charts.bar_chart(
        f"velocity-{team.pk}",
        f"Velocity of {team.name}: points completed per closed sprint",
        [f["name"] for f in closed],
        [float(f["completed_points"]) for f in closed],
    )
    weeks = metrics.get("throughput") or []
    dash.throughput = charts.bar_chart(
        f"throughput-{team.pk}",
        f"Throughput of {team.name}: tasks finished per week",
        [w["week"][5:] for w in weeks],
        [float(w["count"]) for w in weeks],
        unit="tasks",
    )
    dash.throughput.columns = ["Week starting", "Tasks"]


def _history_charts(dash: TeamDashboard, sprint_id: int | None, today: date) -> None:
    """Cumulative flow and the alignment trend of the active sprint, from its daily snapshots.

    Only days with state counts count: those the sprint was active (planned days are not
    drawn). One query, bounded by HISTORY_DAYS rows."""
    days: list[tuple[date, dict[str, int], float, float]] = []
    if sprint_id:
        for day, counts, total, aligned in (
            Snapshot.objects.filter(
                workspace=dash.workspace,
                kind=SPRINT,
                node_id=sprint_id,
                day__gte=today - timedelta(days=HISTORY_DAYS),
            )
            .order_by("day")
            .values_list("day", "state_counts", "total_points", "aligned_points")
        ):
            if counts:
                days.append((day, counts, float(total), float(aligned)))
    labels = [d.isoformat()[5:] for d, _, _, _ in days]
    name = dash.team.name
    dash.flow = charts.stacked_area_chart(
        f"flow-{dash.team.pk}",
        f"Cumulative flow of {name}'s active sprint: tasks per workflow state each day",
        labels,
        [
            (label, css, [int(c.get(category, 0)) for _, c, _, _ in days])
            for category, label, css in FLOW_BANDS
        ],
    )
    measured = [(label, t, a) for label, (_, _, t, a) in zip(labels, days, strict=True) if t]
    dash.alignment_trend = charts.line_chart(
        f"alignment-{dash.team.pk}",
        f"Share of {name}'s active sprint points that trace to an active key result, per day",
        [label for label, _, _ in measured],
        [("Aligned", "series", [round(a / t * 100, 1) for _, t, a in measured])],
        unit="%",
    )


def team_dashboard(
    workspace: Workspace,
    team: Team,
    *,
    parts: Collection[str] | None = None,
    today: date | None = None,
    viewer: Membership | None = None,
) -> TeamDashboard:
    """A team's sprint: burn charts, velocity, flow, alignment and its findings.

    `parts` (default: all of TEAM_PARTS) says what to load, each a fixed number of queries."""
    wanted = TEAM_PARTS if parts is None else frozenset(parts) & TEAM_PARTS
    today = today or timezone.localdate()
    dash = TeamDashboard(workspace=workspace, team=team, parts=wanted)
    if wanted & {"findings", "metrics"}:
        # Embedded: refresh what committed changes made stale before reading (one query if none).
        dash.findings_clock = freshness.ensure_fresh(workspace)
    if wanted & {"rollup", "sprint", "history"}:
        # The team's row and its active sprint's, brought up to date first (readmodel).
        refresh_rows_of(
            workspace.pk,
            {
                TEAM: Team.objects.filter(workspace=workspace, pk=team.pk),
                SPRINT: Sprint.objects.filter(
                    workspace=workspace, team=team, status=SprintStatus.ACTIVE
                ),
            },
            today=today,
        )
        dash.rollup = Rollup.objects.filter(workspace=workspace, kind=TEAM, node_id=team.pk).first()
    sprint_id = None
    if dash.rollup is not None:
        sprint_id = next((int(i) for k, i in dash.rollup.inputs if k == SPRINT), None)
    if wanted & {"metrics"}:
        metrics_row = TeamMetrics.objects.filter(workspace=workspace, team=team).first()
        dash.metrics = metrics_row.data if metrics_row else {}
        dash.metrics_as_of = metrics_row.computed_at if metrics_row else None
        _metric_charts(dash)
    stored: list[Finding] = []
    if "findings" in wanted:
        stored = list(findings_read.visible(workspace, today=today, team=team)[:FINDINGS_SHOWN])
    sprint_row = None
    if "sprint" in wanted and sprint_id:
        sprint_row = Rollup.objects.filter(
            workspace=workspace, kind=SPRINT, node_id=sprint_id
        ).first()
    if wanted & {"sprint", "findings"}:
        keys = finding_keys(stored)
        if sprint_id and "sprint" in wanted:
            keys.append((SPRINT, sprint_id))
        if sprint_row is not None:
            keys.extend(
                (str(k), int(i)) for r in sprint_row.reasons for k, i in r.get("objects", [])
            )
        names = Names.load(workspace, keys, viewer=viewer)
        dash.findings = shown(stored, names)
        if sprint_id and "sprint" in wanted:
            link = names.get(SPRINT, sprint_id) or Link(SPRINT, sprint_id, "Active sprint", None)
            dash.sprint = NodeView(link=link, row=sprint_row, sentences=_reasons(sprint_row, names))
    if "history" in wanted:
        _history_charts(dash, sprint_id, today)
    if "benchmark" in wanted:
        dash.benchmark = latest_benchmark()
    return dash
