"""dashboards.team_head: the team page's one query, compiled once per shape, answers as the ORM."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.http import Http404

from alignment import timezones
from alignment.models import Membership, Team, TeamMember
from dashboards import freshness, layouts, period_picker, selectors
from dashboards import widgets as registry
from dashboards.models import DashboardLayout, TeamMetrics
from dashboards.team_head import team_page_head
from tests.conftest import World, build_guest
from tests.factories import TeamFactory
from tests.factories.okrs import PeriodFactory

pytestmark = pytest.mark.django_db


def _orm_head(membership: Membership, team_id: int) -> Team:
    """The head as the page read it before: one ORM queryset built for the request."""
    workspace = membership.workspace
    since = timezones.day_start(workspace, timezones.today(workspace))
    teams = layouts.with_team_layouts(
        Team.objects.visible_to(membership), user_id=membership.user_id
    )
    teams = selectors.with_rows_current(teams, workspace.pk, since)
    teams = period_picker.with_periods(selectors.with_team_metrics(teams))
    return freshness.with_findings_clock(teams).get(pk=team_id)


@pytest.fixture
def private(world: World) -> Team:
    team = TeamFactory(workspace=world.workspace, name="Security", key="SEC", is_private=True)
    TeamMember.objects.create(workspace=world.workspace, team=team, user=world.member.user)
    return team


def test_each_viewer_gets_the_teams_the_orm_lets_them_see(world: World, private: Team) -> None:
    guest = build_guest(world)
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=guest.user)
    for viewer in (world.owner, world.admin, world.member, world.viewer, guest):
        for team in (world.team, private):
            visible = Team.objects.visible_to(viewer).filter(pk=team.pk).exists()
            if visible:
                assert team_page_head(viewer, world.workspace, team.pk).team.pk == team.pk
            else:
                with pytest.raises(Http404):
                    team_page_head(viewer, world.workspace, team.pk)
    # The rule's cases, spelled out: the viewer is on no private team, the guest on one team.
    with pytest.raises(Http404):
        team_page_head(world.viewer, world.workspace, private.pk)
    with pytest.raises(Http404):
        team_page_head(guest, world.workspace, private.pk)
    assert team_page_head(world.member, world.workspace, private.pk).team.key == "SEC"


def test_the_head_holds_what_the_orm_reads_with_the_team(world: World) -> None:
    PeriodFactory(workspace=world.workspace, name="Q2")
    DashboardLayout.objects.create(
        workspace=world.workspace,
        dashboard=registry.TEAM,
        team=world.team,
        user=world.member.user,
        widgets=["burndown", "velocity"],
        version=3,
    )
    computed = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)
    TeamMetrics.objects.create(
        workspace=world.workspace, team=world.team, data={"velocity": [5, 8]}, computed_at=computed
    )

    for viewer in (world.member, world.owner):
        head = team_page_head(viewer, world.workspace, world.team.pk)
        orm = _orm_head(viewer, world.team.pk)
        assert head.team.name == orm.name == world.team.name
        assert head.team.workspace_id == world.workspace.pk
        assert head.layout == layouts.team_layout_of(orm)
        assert head.metrics == selectors.stored_metrics_of(orm)
        assert head.metrics.data == {"velocity": [5, 8]}
        assert head.metrics.computed_at == computed
        assert head.clock == freshness.clock_of(orm)
        assert head.rows_current == bool(orm.rows_current)
        assert [p.name for p in head.periods] == [p.name for p in period_picker.periods_of(orm)]
    mine = team_page_head(world.member, world.workspace, world.team.pk).layout
    theirs = team_page_head(world.owner, world.workspace, world.team.pk).layout
    assert mine.version == 3
    assert mine != theirs  # the owner has no layout of their own: the default


def test_a_team_of_another_workspace_is_not_found(world: World, world_b: World) -> None:
    with pytest.raises(Http404):
        team_page_head(world.owner, world.workspace, world_b.team.pk)
