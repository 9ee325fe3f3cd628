"""Reads for a team's dashboard: materialized rows only, a fixed number of queries.

The team's rollup row and its active sprint's are brought up to date first (the read model's
freshness step), then read in one query with the sprint's daily snapshots (`JSONRows`); the
stored metrics, findings and the names of the records they point at come from the rows the
jobs wrote. Nothing here recomputes progress.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import router
from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery

from alignment import timezones
from alignment.json_rows import JSONRows, json_date, json_value
from alignment.models import Membership, Team, Workspace
from alignment.prepared import Prepared
from dashboards import charts, freshness
from dashboards import findings as findings_read
from dashboards.models import DoraBenchmark, Finding, Snapshot, TeamMetrics
from dashboards.node_view import NodeView, reason_keys, reason_sentences
from dashboards.reasons import Link, Names, ShownFinding, finding_keys, shown
from dashboards.rollups.math import SPRINT, TEAM
from dashboards.team_rows import TeamRow, latest_benchmark
from readmodel.models import Rollup
from readmodel.selectors import refresh_rows_of, rows_are_current
from tasks.models import Sprint, SprintStatus, StateCategory

FINDINGS_SHOWN = 50
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
# One day of a sprint's flow: (day, tasks per state category, total points, aligned points).
HistoryDay = tuple[date, dict[str, int], float, float]


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

    @property
    def sprint_id(self) -> int | None:
        """The sprint the team's stored row was computed from (its active one)."""
        if self.rollup is None:
            return None
        return next((int(i) for k, i in self.rollup.inputs if k == SPRINT), None)


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


def _history_since(today: date) -> date:
    """The first day a sprint's flow chart reads (bounded by HISTORY_DAYS)."""
    return today - timedelta(days=HISTORY_DAYS)


def _sprint_snapshots(workspace: Workspace | int, since: date) -> QuerySet[Snapshot]:
    """The daily rows a sprint's flow chart reads, from `since` (`_history_since`)."""
    return Snapshot.objects.filter(workspace=workspace, kind=SPRINT, day__gte=since)


def _with_history(
    rows: QuerySet[Rollup], workspace: Workspace | int, since: date
) -> QuerySet[Rollup]:
    """`rows` with `history`: a sprint row's daily snapshots from `since` (`JSONRows`, in the
    same query); an empty list on the team's row."""
    days = _sprint_snapshots(workspace, since).filter(
        kind=OuterRef("kind"), node_id=OuterRef("node_id")
    )
    return rows.annotate(
        history=JSONRows(
            days,
            day="day",
            counts="state_counts",
            total="total_points",
            aligned="aligned_points",
        )
    )


def _history_from_json(rows: list[dict[str, Any]]) -> list[HistoryDay]:
    days = [
        (json_date(r["day"]), json_value(r["counts"]), float(r["total"]), float(r["aligned"]))
        for r in rows
    ]
    return sorted((d for d in days if d[1]), key=lambda d: d[0])


def _history_read(dash: TeamDashboard, sprint_id: int, today: date) -> list[HistoryDay]:
    """The sprint's daily rows read alone: for a sprint whose row was not read with the team's."""
    days: list[HistoryDay] = []
    for day, counts, total, aligned in (
        _sprint_snapshots(dash.workspace, _history_since(today))
        .filter(node_id=sprint_id)
        .order_by("day")
        .values_list("day", "state_counts", "total_points", "aligned_points")
    ):
        if counts:
            days.append((day, counts, float(total), float(aligned)))
    return days


def _history_charts(dash: TeamDashboard, days: list[HistoryDay]) -> None:
    """Cumulative flow and the alignment trend of the active sprint, from its daily snapshots.

    Only days with state counts count: those the sprint was active (planned days are not
    drawn)."""
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


@dataclass(frozen=True)
class StoredMetrics:
    """A team's TeamMetrics row as a page reads it (both None: not computed yet)."""

    data: dict[str, Any] | None
    computed_at: datetime | None


def with_team_metrics(teams: QuerySet[Team]) -> QuerySet[Team]:
    """`teams` with their stored metrics read in the same query, for `stored_metrics_of`."""
    row = TeamMetrics.objects.filter(workspace=OuterRef("workspace_id"), team=OuterRef("pk"))
    return teams.annotate(
        metrics_data=Subquery(row.values("data")[:1], output_field=JSONField()),
        metrics_computed_at=Subquery(row.values("computed_at")[:1]),
    )


def _team_nodes(workspace: Workspace | int, team: Any) -> dict[str, QuerySet[Any]]:
    """The read-model nodes of a team's dashboard: the team and its active sprint(s).
    `team`: its id, or `OuterRef("pk")` in a query of teams."""
    return {
        TEAM: Team.objects.filter(workspace=workspace, pk=team),
        SPRINT: Sprint.objects.filter(workspace=workspace, team=team, status=SprintStatus.ACTIVE),
    }


def with_rows_current(teams: QuerySet[Team], workspace_id: int, since: datetime) -> QuerySet[Team]:
    """`teams` with `rows_current`: whether their dashboard's read-model rows (the team's and
    its active sprint's) are current, i.e. computed since `since` (the start of the
    workspace's today), read in the same query, so the dashboard skips the freshness query
    when they are (`team_dashboard(rows_current=...)`)."""
    nodes = _team_nodes(workspace_id, OuterRef("pk"))
    return teams.annotate(rows_current=rows_are_current(workspace_id, nodes, since=since))


def stored_metrics_of(team: Team) -> StoredMetrics:
    """The metrics `with_team_metrics` read with `team`."""
    values: Any = team
    return StoredMetrics(data=values.metrics_data, computed_at=values.metrics_computed_at)


@dataclass
class _Loaded:
    """What the steps of `team_dashboard` hand on to each other."""

    sprint_rows: dict[int, Rollup] = field(default_factory=dict)
    sprint_row: Rollup | None = None
    stored: list[Finding] = field(default_factory=list)


def _refresh_findings(
    dash: TeamDashboard, clock: freshness.Clock | None, metrics: StoredMetrics | None
) -> StoredMetrics | None:
    """Embedded: refresh what committed changes made stale before reading (one query if none).
    Returns the metrics read with the team, or None when the refresh may have recomputed
    them (those are from before it: read them again)."""
    dash.findings_clock = freshness.ensure_fresh(dash.workspace, clock=clock)
    return metrics if dash.findings_clock is clock else None


_ROLLUP_FIELDS = [field.attname for field in Rollup._meta.concrete_fields]
_ROWS_QUERIES: dict[bool, RowsQuery] = {}


class RowsQuery:
    """The team's rollup row and its active sprints' (with their daily snapshots since
    `since` when `history`), compiled once per process (`alignment.prepared`): through the
    ORM, building it cost a team page ≈ 2 ms of CPU a request."""

    def __init__(self, history: bool) -> None:
        self.history = history

        def build(**values: Any) -> QuerySet[Any]:
            workspace, team = values["workspace"], values["team"]
            sprints = _team_nodes(workspace, team)[SPRINT].values("pk")
            rows = Rollup.objects.filter(workspace=workspace).filter(
                Q(kind=TEAM, node_id=team) | Q(kind=SPRINT, node_id__in=sprints)
            )
            if not history:
                return rows.values_list(*_ROLLUP_FIELDS)
            history_rows = _with_history(rows, workspace, values["since"])
            return history_rows.values_list(*_ROLLUP_FIELDS, "history")

        names = ["workspace", "team", *(["since"] if history else [])]
        self.prepared = Prepared(build, names=names)

    def rows(self, **values: Any) -> list[Rollup]:
        out = []
        count = len(_ROLLUP_FIELDS)
        for values_row in self.prepared.rows(**values):
            row = Rollup.from_db(router.db_for_read(Rollup), _ROLLUP_FIELDS, values_row[:count])
            if self.history:
                row.history = values_row[count]  # type: ignore[attr-defined]
            out.append(row)
        return out


def _rows_query(history: bool) -> RowsQuery:
    query = _ROWS_QUERIES.get(history)
    if query is None:
        query = _ROWS_QUERIES[history] = RowsQuery(history)
    return query


def _read_rows(dash: TeamDashboard, loaded: _Loaded, *, rows_current: bool, today: date) -> None:
    """The team's row and its active sprints' (with their daily snapshots when the flow is
    shown) in one read, brought up to date first unless found current with the team."""
    workspace, team = dash.workspace, dash.team
    nodes = _team_nodes(workspace, team.pk)
    if not rows_current:
        refresh_rows_of(workspace.pk, nodes, today=today)
    history = "history" in dash.parts
    values: dict[str, Any] = {"workspace": workspace.pk, "team": team.pk}
    if history:
        values["since"] = _history_since(today)
    for row in _rows_query(history).rows(**values):
        if row.kind == TEAM:
            dash.rollup = row
        else:
            loaded.sprint_rows[row.node_id] = row


def _load_metrics(dash: TeamDashboard, stored: StoredMetrics | None) -> None:
    if stored is None:
        metrics_row = TeamMetrics.objects.filter(workspace=dash.workspace, team=dash.team).first()
        stored = StoredMetrics(
            data=metrics_row.data if metrics_row else None,
            computed_at=metrics_row.computed_at if metrics_row else None,
        )
    dash.metrics = stored.data if stored.data is not None else {}
    dash.metrics_as_of = stored.computed_at
    _metric_charts(dash)


def _sprint_row(dash: TeamDashboard, loaded: _Loaded, sprint_id: int) -> Rollup | None:
    row = loaded.sprint_rows.get(sprint_id)
    if row is None:  # the team row names a sprint no longer active: read it alone
        rows = Rollup.objects.filter(workspace=dash.workspace, kind=SPRINT, node_id=sprint_id)
        row = rows.first()
    return row


def _attach_names(dash: TeamDashboard, loaded: _Loaded, viewer: Membership | None) -> None:
    """Links and sentences of the findings and the active sprint: one query for all names."""
    sprint_id = dash.sprint_id if "sprint" in dash.parts else None
    keys = finding_keys(loaded.stored)
    if sprint_id:
        keys.append((SPRINT, sprint_id))
    if loaded.sprint_row is not None:
        keys.extend(reason_keys(loaded.sprint_row))
    names = Names.load(dash.workspace, keys, viewer=viewer)
    dash.findings = shown(loaded.stored, names)
    if sprint_id:
        link = names.get(SPRINT, sprint_id) or Link(SPRINT, sprint_id, "Active sprint", None)
        sentences = reason_sentences(loaded.sprint_row, names)
        dash.sprint = NodeView(link=link, row=loaded.sprint_row, sentences=sentences)


def _history(dash: TeamDashboard, loaded: _Loaded, today: date) -> list[HistoryDay]:
    """The active sprint's daily rows: those read with its row, else read alone."""
    sprint_id = dash.sprint_id
    if not sprint_id:
        return []
    row = loaded.sprint_rows.get(sprint_id)
    if row is None:
        return _history_read(dash, sprint_id, today)
    return _history_from_json(json_value(row.history))  # type: ignore[attr-defined]


def team_dashboard(
    workspace: Workspace,
    team: Team,
    *,
    parts: Collection[str] | None = None,
    today: date | None = None,
    viewer: Membership | None = None,
    clock: freshness.Clock | None = None,
    stored_metrics: StoredMetrics | None = None,
    rows_current: bool = False,
) -> TeamDashboard:
    """A team's sprint: burn charts, velocity, flow, alignment and its findings.

    `parts` (default: all of TEAM_PARTS) says what to load, each a fixed number of queries;
    `clock` and `stored_metrics`: the findings clock and the team's metrics row, if read with
    the team (freshness.with_findings_clock, with_team_metrics); `rows_current`: the team's
    read-model rows were found current with the team (`with_rows_current`)."""
    wanted = TEAM_PARTS if parts is None else frozenset(parts) & TEAM_PARTS
    today = today or timezones.today(workspace)
    dash = TeamDashboard(workspace=workspace, team=team, parts=wanted)
    loaded = _Loaded()
    if wanted & {"findings", "metrics"}:
        stored_metrics = _refresh_findings(dash, clock, stored_metrics)
    if wanted & {"rollup", "sprint", "history"}:
        _read_rows(dash, loaded, rows_current=rows_current, today=today)
    if "metrics" in wanted:
        _load_metrics(dash, stored_metrics)
    if "findings" in wanted:
        visible = findings_read.visible(workspace, today=today, team=team)
        loaded.stored = list(visible[:FINDINGS_SHOWN])
    if "sprint" in wanted and dash.sprint_id:
        loaded.sprint_row = _sprint_row(dash, loaded, dash.sprint_id)
    if wanted & {"sprint", "findings"}:
        _attach_names(dash, loaded, viewer)
    if "history" in wanted:
        _history_charts(dash, _history(dash, loaded, today))
    if "benchmark" in wanted:
        dash.benchmark = latest_benchmark()
    return dash
