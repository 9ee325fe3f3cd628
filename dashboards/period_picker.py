"""Which period a dashboard shows: `?period=<id>` when given, else the workspace's current one.

The choice is part of the URL so a link to "the leader dashboard for 2026 Q3" stays that, the
back button works and nobody's view changes because an admin created a new period. One query
reads the workspace's periods (for the picker too); the default is chosen from them in Python
with the rule of `okrs.selectors.current_period` (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from alignment.errors import NotFound
from alignment.json_rows import JSONRows, json_date, json_datetime, json_value
from alignment.models import Team, Workspace
from alignment.parsing import is_digits
from dashboards.rollups.math import OBJECTIVE
from okrs.models import Objective, Period
from okrs.selectors import LEVEL_ORDER
from readmodel.models import Rollup

PARAM = "period"
PERIODS_SHOWN = 200  # the picker's options, newest first; older ones stay reachable by URL


def default_period(periods: Sequence[Period], today: date) -> Period | None:
    """The period containing today (the latest to start), else the latest that started, else
    the first ahead: `okrs.selectors.current_period`, over rows already loaded."""
    containing = [p for p in periods if p.start <= today <= p.end]
    if containing:
        return max(containing, key=lambda p: p.start)
    started = [p for p in periods if p.start <= today]
    if started:
        return max(started, key=lambda p: p.start)
    return min(periods, key=lambda p: p.start, default=None)


@dataclass(frozen=True)
class PeriodChoice:
    """The period a dashboard shows, the options of its picker and the default."""

    period: Period | None
    periods: list[Period]
    default: Period | None

    @property
    def is_default(self) -> bool:
        return self.period == self.default

    def state(self, period: Period, today: date) -> str:
        """How the picker labels an option: current, upcoming, closed or ended."""
        if period.closed_at is not None:
            return "closed"
        if self.default is not None and period.pk == self.default.pk:
            return "current"
        return "upcoming" if period.start > today else "ended"

    def options(self, today: date) -> list[tuple[Period, str]]:
        return [(p, self.state(p, today)) for p in self.periods]


def with_periods(rows: QuerySet[Any]) -> QuerySet[Any]:
    """`rows` (of a model with `workspace_id`) with their workspace's periods read in the same
    query (`JSONRows`), for `periods_of` and `period_choice(periods=...)`."""
    periods = Period.objects.filter(workspace=OuterRef("workspace_id"))
    return rows.annotate(
        workspace_periods=JSONRows(
            periods,
            id="id",
            name="name",
            start="start",
            end="end",
            closed_at="closed_at",
        )
    )


def periods_of(row: Model) -> list[Period]:
    """The periods `with_periods` read with `row`, newest first (as `period_choice` orders)."""
    db = row._state.db
    periods = [
        Period.from_db(
            db,
            ["id", "workspace_id", "name", "start", "end", "closed_at"],
            [
                p["id"],
                row.workspace_id,  # type: ignore[attr-defined]
                p["name"],
                json_date(p["start"]),
                json_date(p["end"]),
                json_datetime(p["closed_at"]),
            ],
        )
        for p in json_value(row.workspace_periods)  # type: ignore[attr-defined]
    ]
    periods.sort(key=lambda p: (p.start, p.pk), reverse=True)
    return periods


def period_choice(
    workspace: Workspace,
    query: Mapping[str, str],
    today: date,
    *,
    periods: list[Period] | None = None,
) -> PeriodChoice:
    """The period `?period=` names (404 when it is not one of this workspace's), or the default.

    One query, none when the workspace's `periods` were read with another row (`with_periods`).
    An id outside the workspace is the same 404 as a missing one (tenancy)."""
    if periods is None:
        periods = list(
            Period.objects.for_workspace(workspace)
            .order_by("-start", "-id")
            .only("id", "name", "start", "end", "closed_at", "workspace_id")
        )
    default = default_period(periods, today)
    raw = (query.get(PARAM) or "").strip()
    if not raw:
        return PeriodChoice(default, periods[:PERIODS_SHOWN], default)
    if not is_digits(raw) or len(raw) > 15:
        raise NotFound(f"No period {raw!r} here; choose one from the list.")
    chosen = next((p for p in periods if p.pk == int(raw)), None)
    if chosen is None:
        raise NotFound("That period was not found in this workspace.")
    shown = periods[:PERIODS_SHOWN]
    if chosen not in shown:
        shown.append(chosen)
    return PeriodChoice(chosen, shown, default)


@dataclass(frozen=True)
class TeamObjective:
    """One of a team's objectives in the chosen period, with its stored rollup."""

    objective: Objective
    row: Rollup | None
    url: str

    @property
    def link(self) -> SafeString:
        return format_html('<a href="{}">{}</a>', self.url, self.objective.title)

    @property
    def status(self) -> str | None:
        return self.row.status if self.row else None

    @property
    def percent(self) -> int:
        return self.row.percent if self.row else 0

    @property
    def expected_percent(self) -> int:
        return self.row.expected_percent if self.row else 0


# The fields of an objective's stored row that the team objectives widget reads.
ROW_FIELDS = ("progress", "expected", "status", "basis")


def _stored_row(workspace: Workspace, objective: Any) -> Rollup | None:
    """The objective's rollup as read by `team_objectives` (None: not computed yet); an
    unsaved instance holding only ROW_FIELDS."""
    values = {name: getattr(objective, f"rollup_{name}") for name in ROW_FIELDS}
    if values["progress"] is None:  # progress is never null in a stored row
        return None
    return Rollup(workspace=workspace, kind=OBJECTIVE, node_id=objective.pk, **values)


def team_objectives(workspace: Workspace, team: Team, period: Period | None) -> list[TeamObjective]:
    """The team's live objectives of `period` with what the widget shows of their rollups
    (progress, expected, status, basis), in one query: each rollup field is a subquery on
    the (kind, node_id) unique index."""
    if period is None:
        return []
    row = Rollup.objects.filter(workspace=workspace, kind=OBJECTIVE, node_id=OuterRef("pk"))
    objectives = list(
        Objective.objects.for_workspace(workspace)
        .live()
        .filter(team=team, period=period)
        .only("id", "title", "level", "status", "workspace_id")
        .annotate(**{f"rollup_{name}": Subquery(row.values(name)[:1]) for name in ROW_FIELDS})
    )
    objectives.sort(key=lambda o: (LEVEL_ORDER.get(o.level, 9), o.title.lower(), o.pk))
    rows = {o.pk: _stored_row(workspace, o) for o in objectives}
    # Reversed once for the page, not per row (templates are hot paths).
    pattern = reverse("okrs:objective_detail", kwargs={"slug": workspace.slug, "objective_id": 0})
    head, tail = pattern.rsplit("/0/", 1)
    return [TeamObjective(o, rows.get(o.pk), f"{head}/{o.pk}/{tail}") for o in objectives]
