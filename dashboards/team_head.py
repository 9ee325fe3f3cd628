"""What a team dashboard reads with its team, in one query compiled once (issue #15).

The team page reads its team with the person's layout of it, the findings clock, the team's
stored metrics, whether its read-model rows are current and the workspace's periods: one
query, but five annotations (subqueries, EXISTS, a JSON aggregate) that Django built and
compiled on every request, ≈ 7 ms of the page's 24 ms of CPU where PostgreSQL answered in
under 1 ms. The query's shape depends only on the viewer's kind of visibility and on whether
a rollup refresher is installed, so it is compiled once per shape (`alignment.prepared`) and
run with the request's values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import router
from django.db.models import QuerySet
from django.http import Http404

from alignment import timezones
from alignment.models import Membership, Team, Workspace
from alignment.prepared import Prepared
from alignment.querysets import visibility_of
from dashboards import freshness, layouts, period_picker, selectors
from dashboards.freshness import Clock
from okrs.models import Period
from readmodel import freshness as readmodel_freshness

_TEAM_FIELDS = [field.attname for field in Team._meta.concrete_fields]
_HEAD_FIELDS = [
    "layout_mine_widgets",
    "layout_mine_version",
    "layout_default_widgets",
    "layout_default_version",
    "rows_current",
    "metrics_data",
    "metrics_computed_at",
    "workspace_periods",
    "clock_as_of",
    "clock_pending",
]


@dataclass(frozen=True)
class TeamHead:
    """What the team page reads with its team, in the same query (its fixed queries, #15)."""

    team: Team
    layout: layouts.Layout
    clock: Clock
    metrics: selectors.StoredMetrics
    rows_current: bool
    periods: list[Period]


def _head_query(role: str) -> Callable[..., QuerySet[Any]]:
    """The team head's queryset for a viewer of `role`'s kind of visibility."""

    def build(workspace: int, team: int, user: int, since: datetime) -> QuerySet[Any]:
        # An unsaved membership of that role: `visible_to` reads its ids and role only.
        viewer = Membership(workspace_id=workspace, user_id=user, role=role)
        teams = layouts.with_team_layouts(Team.objects.visible_to(viewer), user_id=user)
        teams = selectors.with_rows_current(teams, workspace, since)
        teams = period_picker.with_periods(selectors.with_team_metrics(teams))
        teams = freshness.with_findings_clock(teams).filter(pk=team)
        return teams.values_list(*_TEAM_FIELDS, *_HEAD_FIELDS)

    return build


# One per (kind of visibility, refresher installed): each is a different SQL statement.
_QUERIES: dict[tuple[str, bool], Prepared] = {}


def team_page_head(membership: Membership, workspace: Workspace, team_id: int) -> TeamHead:
    """The team `membership` may see (404 otherwise: a private team to its non-members), with
    what its dashboard reads with it."""
    shape = (visibility_of(membership), readmodel_freshness.registered() is not None)
    query = _QUERIES.get(shape)
    if query is None:
        query = _QUERIES[shape] = Prepared(_head_query(shape[0]))
    since = timezones.day_start(workspace, timezones.today(workspace))
    rows = query.rows(workspace=workspace.pk, team=team_id, user=membership.user_id, since=since)
    if not rows:
        raise Http404("No such team here.")
    values = rows[0]
    team = Team.from_db(router.db_for_read(Team), _TEAM_FIELDS, values[: len(_TEAM_FIELDS)])
    for name, value in zip(_HEAD_FIELDS, values[len(_TEAM_FIELDS) :], strict=True):
        setattr(team, name, value)
    return TeamHead(
        team=team,
        layout=layouts.team_layout_of(team),
        clock=freshness.clock_of(team),
        metrics=selectors.stored_metrics_of(team),
        rows_current=bool(team.rows_current),  # type: ignore[attr-defined]
        periods=period_picker.periods_of(team),
    )
