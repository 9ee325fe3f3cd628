"""Fixtures of the work domain: a second team in the same workspace, a private team the member
is not on, states by category."""

from __future__ import annotations

import pytest

from alignment.models import Team
from tasks.models import StateCategory, WorkflowState
from tests.conftest import World
from tests.factories import TeamFactory
from tests.factories.work import state_of


@pytest.fixture
def team(world: World) -> Team:
    return world.team


@pytest.fixture
def private_team(world: World) -> Team:
    """A private team the member is not on (the admin sees it: admins see every team)."""
    return TeamFactory(workspace=world.workspace, name="Secret", key="SEC", is_private=True)


@pytest.fixture
def other_team(world: World) -> Team:
    return TeamFactory(workspace=world.workspace, name="Design", key="DES")


@pytest.fixture
def todo(team: Team) -> WorkflowState:
    return state_of(team, StateCategory.UNSTARTED)


@pytest.fixture
def doing(team: Team) -> WorkflowState:
    return state_of(team, StateCategory.STARTED)


@pytest.fixture
def done(team: Team) -> WorkflowState:
    return state_of(team, StateCategory.DONE)
