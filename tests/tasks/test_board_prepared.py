"""The board's fixed queries, compiled and planned once (alignment.prepared), answer what the
ORM answers: its workflow states for every kind of visibility, its sprints (issue #15)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Q
from django.forms.models import model_to_dict

from alignment.models import Team, TeamMember
from tasks import board_selectors, page_selectors
from tasks.models import Sprint, SprintStatus, WorkflowState
from tests.conftest import World, build_guest
from tests.factories.work import SprintFactory

pytestmark = pytest.mark.django_db


def _as_orm(viewer, team_id: int) -> list[tuple[dict, dict]]:
    states = WorkflowState.objects.visible_to(viewer).filter(team_id=team_id).select_related("team")
    return [(model_to_dict(s), model_to_dict(s.team)) for s in states]


def _as_board(viewer, team_id: int) -> list[tuple[dict, dict]]:
    return [
        (model_to_dict(s), model_to_dict(s.team))
        for s in board_selectors.board_states(viewer, team_id)
    ]


@pytest.mark.parametrize("role", ["admin", "member", "guest"])
def test_board_states_are_the_orms_for_each_kind_of_visibility(
    world: World, team: Team, private_team: Team, role: str
) -> None:
    viewer = build_guest(world) if role == "guest" else world.membership(role)
    if role == "guest":
        TeamMember.objects.create(workspace=world.workspace, team=team, user=viewer.user)
    for team_id in (team.pk, private_team.pk):
        assert _as_board(viewer, team_id) == _as_orm(viewer, team_id)
    seen = {role: bool(_as_board(viewer, private_team.pk))}
    # Admins see the private team; a member not on it and a guest do not.
    assert seen == {role: role == "admin"}
    assert _as_board(viewer, team.pk)  # the team itself, for all three
    states = board_selectors.board_states(viewer, team.pk)
    assert [s.position for s in states] == sorted(s.position for s in states)


def test_board_sprints_are_the_orms(world: World, team: Team) -> None:
    planned = SprintFactory(team=team, name="Next", status=SprintStatus.PLANNED)
    active = SprintFactory(team=team, name="Now", status=SprintStatus.ACTIVE)
    closed = SprintFactory(
        team=team, name="Before", status=SprintStatus.CLOSED, start_date=date(2026, 1, 5)
    )
    SprintFactory(name="Elsewhere", status=SprintStatus.ACTIVE)  # another workspace's

    def orm(wanted: int) -> list[dict]:
        qs = Sprint.objects.filter(team=team).filter(~Q(status=SprintStatus.CLOSED) | Q(pk=wanted))
        return [model_to_dict(s) for s in qs.order_by("start_date", "pk")]

    sprint, open_sprints = page_selectors.board_sprints(world.workspace, team, None)
    assert sprint == active
    assert {s.pk for s in open_sprints} == {planned.pk, active.pk}
    assert [model_to_dict(s) for s in open_sprints] == orm(0)
    sprint, open_sprints = page_selectors.board_sprints(world.workspace, team, str(closed.pk))
    assert model_to_dict(sprint) == model_to_dict(closed)
    assert closed not in open_sprints
    assert page_selectors.board_sprints(world.workspace, team, "999999")[0] is None
    assert page_selectors.board_sprints(world.workspace, team, "x1")[0] is None  # the view's 404
