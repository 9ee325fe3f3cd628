"""Reads for the dashboard pages and API: materialized rows only, a fixed number of queries.

Nothing here recomputes progress: rollups, findings, team metrics and snapshots are written
by jobs; these functions load them for a whole page at once and attach names and links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from alignment.models import Team, Workspace
from dashboards import charts
from dashboards.models import DoraBenchmark, Finding, Rollup, Snapshot, TeamMetrics
from dashboards.reasons import Link, Names, ShownFinding, finding_keys, reason_sentence, shown
from dashboards.rollup_math import KR, OBJECTIVE, SPRINT, TEAM
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective, ObjectiveLevel, Period
from okrs.selectors import current_period

FINDINGS_SHOWN = 50
LIST_SHOWN = 50  # objectives and at-risk rows on the page; the CSV has them all
DORA_METRICS = [
    ("deployment_frequency", "Deploys"),
    ("lead_time", "Lead time"),
    ("change_failure_rate", "Fail rate"),
    ("time_to_restore", "Restore"),
]


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


@dataclass
class TeamRow:
    team: Team
    rollup: Rollup | None
    metrics: dict[str, Any]

    @property
    def alignment_percent(self) -> int | None:
        ratio = self.rollup.alignment_ratio if self.rollup else None
        return None if ratio is None else round(ratio * 100)

    @property
    def velocity(self) -> float | None:
        value = (self.metrics.get("velocity") or {}).get("average")
        return None if value is None else float(value)

    @property
    def velocity_points(self) -> list[float]:
        return [float(v) for v in (self.metrics.get("velocity") or {}).get("points", [])]

    @property
    def velocity_spark(self) -> str:
        return charts.sparkline(self.velocity_points)

    @property
    def cycle_time_p50(self) -> float | None:
        value = (self.metrics.get("cycle_time_days") or {}).get("p50")
        return None if value is None else float(value)

    @property
    def dora(self) -> list[tuple[str, str | None, Any]]:
        data = self.metrics.get("dora") or {}
        return [
            (label, (data.get(metric) or {}).get("tier"), (data.get(metric) or {}).get("value"))
            for metric, label in DORA_METRICS
        ]


@dataclass
class LeaderDashboard:
    workspace: Workspace
    today: date
    period: Period | None
    progress: float
    expected: float
    objectives: list[NodeView]
    at_risk: list[NodeView]
    objective_count: int
    at_risk_count: int
    findings: list[ShownFinding]
    finding_count: int
    teams: list[TeamRow]
    benchmark: DoraBenchmark | None
    computed_at: Any
    trend: charts.Chart

    @property
    def percent(self) -> int:
        return round(self.progress * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    @property
    def status(self) -> str:
        gap = self.progress - self.expected
        if gap <= -okr_math.OFF_TRACK_GAP:
            return okr_math.OFF_TRACK
        if gap <= -okr_math.AT_RISK_GAP:
            return okr_math.AT_RISK
        return okr_math.ON_TRACK


def _reasons(row: Rollup | None, names: Names) -> list[str]:
    return [reason_sentence(r, names) for r in row.reasons] if row else []


def latest_benchmark() -> DoraBenchmark | None:
    return DoraBenchmark.objects.order_by("-year", "rank").first()


def team_rows(workspace: Workspace) -> list[TeamRow]:
    """Every team with its rollup and stored metrics: three queries."""
    teams = list(Team.objects.for_workspace(workspace).order_by("name"))
    rollups = {r.node_id: r for r in Rollup.objects.filter(workspace=workspace, kind=TEAM)}
    metrics = dict(TeamMetrics.objects.filter(workspace=workspace).values_list("team_id", "data"))
    return [TeamRow(t, rollups.get(t.pk), metrics.get(t.pk) or {}) for t in teams]


def leader_dashboard(
    workspace: Workspace, *, today: date | None = None, limit: int | None = LIST_SHOWN
) -> LeaderDashboard:
    """Company progress against pace, what is at risk and why, drift, and the teams side by side."""
    today = today or timezone.localdate()
    period = current_period(workspace, today=today)
    in_period = Objective.objects.for_workspace(workspace).live().filter(period=period)
    ordered = in_period.order_by("level", "title", "id")
    objectives: list[Objective] = list(ordered[:limit] if limit is not None else ordered)
    objective_count = in_period.count()  # always asked: the query count stays flat
    # The headline: company objectives (or the roots when there are none), weighted.
    company = list(
        in_period.filter(level=ObjectiveLevel.COMPANY).only("id", "weight", "level")
    ) or list(in_period.filter(parent__isnull=True).only("id", "weight", "level"))
    # At risk, most serious first, chosen in SQL so the page reads a bounded number of rows.
    risky = (
        Rollup.objects.filter(
            workspace=workspace, status__in=[okr_math.AT_RISK, okr_math.OFF_TRACK]
        )
        .filter(
            Q(kind=OBJECTIVE, node_id__in=in_period.values("id"))
            | Q(kind=KR, node_id__in=KeyResult.objects.filter(objective__in=in_period).values("id"))
        )
        .order_by("-status", "-kind", "node_id")
    )
    at_risk_rows = list(risky[:limit] if limit is not None else risky)
    at_risk_count = risky.count()
    rows = {(r.kind, r.node_id): r for r in at_risk_rows}
    wanted = {o.pk for o in objectives} | {o.pk for o in company}
    for r in Rollup.objects.filter(workspace=workspace, kind=OBJECTIVE, node_id__in=wanted):
        rows[(r.kind, r.node_id)] = r
    stored = list(
        Finding.objects.filter(workspace=workspace).order_by("-severity", "code", "subject_id")[
            : FINDINGS_SHOWN + 1
        ]
    )
    finding_count = len(stored)
    stored = stored[:FINDINGS_SHOWN]
    keys = [(r.kind, r.node_id) for r in rows.values()]
    for row in rows.values():
        keys.extend((str(k), int(i)) for r in row.reasons for k, i in r.get("objects", []))
    names = Names.load(workspace, [*keys, *finding_keys(stored)])

    def view(kind: str, node_id: int, level: str = "") -> NodeView:
        row = rows.get((kind, node_id))
        link = names.get(kind, node_id) or Link(kind, node_id, f"{kind} {node_id}", None)
        return NodeView(link=link, row=row, sentences=_reasons(row, names), level=level)

    objective_views = [view(OBJECTIVE, o.pk, o.level) for o in objectives]
    at_risk = [view(r.kind, r.node_id) for r in at_risk_rows]
    pairs = [
        (float(rows[(OBJECTIVE, o.pk)].progress), float(o.weight))
        for o in company
        if (OBJECTIVE, o.pk) in rows
    ]
    progress = okr_math.weighted_mean(pairs) or 0.0
    expected = (
        okr_math.expected_progress(start=period.start, end=period.end, today=today)
        if period
        else 0.0
    )
    computed = [r.computed_at for r in rows.values()]
    trend = _company_trend(workspace, company, today)
    return LeaderDashboard(
        workspace=workspace,
        today=today,
        period=period,
        progress=progress,
        expected=expected,
        objectives=objective_views,
        at_risk=at_risk,
        objective_count=objective_count,
        at_risk_count=at_risk_count,
        findings=shown(stored, names),
        finding_count=finding_count,
        teams=team_rows(workspace),
        benchmark=latest_benchmark(),
        computed_at=max(computed) if computed else None,
        trend=trend,
    )


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


@dataclass
class TeamDashboard:
    workspace: Workspace
    team: Team
    rollup: Rollup | None
    sprint: NodeView | None
    metrics: dict[str, Any]
    findings: list[ShownFinding]
    burndown: charts.Chart
    burnup: charts.Chart
    velocity: charts.Chart
    throughput: charts.Chart
    benchmark: DoraBenchmark | None

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


def team_dashboard(workspace: Workspace, team: Team) -> TeamDashboard:
    """A team's sprint: burn charts, velocity, throughput, alignment and its findings."""
    rollup = Rollup.objects.filter(workspace=workspace, kind=TEAM, node_id=team.pk).first()
    metrics_row = TeamMetrics.objects.filter(workspace=workspace, team=team).first()
    metrics = metrics_row.data if metrics_row else {}
    stored = list(
        Finding.objects.filter(workspace=workspace, team=team).order_by(
            "-severity", "code", "subject_id"
        )[:FINDINGS_SHOWN]
    )
    sprint_id = None
    if rollup is not None:
        sprint_id = next((int(i) for k, i in rollup.inputs if k == SPRINT), None)
    sprint_row = (
        Rollup.objects.filter(workspace=workspace, kind=SPRINT, node_id=sprint_id).first()
        if sprint_id
        else None
    )
    keys = finding_keys(stored)
    if sprint_id:
        keys.append((SPRINT, sprint_id))
    if sprint_row is not None:
        keys.extend((str(k), int(i)) for r in sprint_row.reasons for k, i in r.get("objects", []))
    names = Names.load(workspace, keys)
    sprint = None
    if sprint_id:
        link = names.get(SPRINT, sprint_id) or Link(SPRINT, sprint_id, "Active sprint", None)
        sprint = NodeView(link=link, row=sprint_row, sentences=_reasons(sprint_row, names))
    burndown, burnup = _burn_charts(team, (metrics.get("burn") or {}).get("days") or [])
    flows = metrics.get("sprints") or []
    closed = [f for f in flows if f.get("status") == "closed"]
    velocity = charts.bar_chart(
        f"velocity-{team.pk}",
        f"Velocity of {team.name}: points completed per closed sprint",
        [f["name"] for f in closed],
        [float(f["completed_points"]) for f in closed],
    )
    weeks = metrics.get("throughput") or []
    throughput = charts.bar_chart(
        f"throughput-{team.pk}",
        f"Throughput of {team.name}: tasks finished per week",
        [w["week"][5:] for w in weeks],
        [float(w["count"]) for w in weeks],
        unit="tasks",
    )
    throughput.columns = ["Week starting", "Tasks"]
    return TeamDashboard(
        workspace=workspace,
        team=team,
        rollup=rollup,
        sprint=sprint,
        metrics=metrics,
        findings=shown(stored, names),
        burndown=burndown,
        burnup=burnup,
        velocity=velocity,
        throughput=throughput,
        benchmark=latest_benchmark(),
    )
