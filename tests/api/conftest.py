"""Fixtures of the API tests: a versioned objective in the world's workspace, probe routes."""

from __future__ import annotations

import pytest

from okrs.models import Objective
from tests.api import probe_urls
from tests.conftest import World
from tests.factories.okrs import ObjectiveFactory, PeriodFactory


@pytest.fixture
def objective(world: World) -> Objective:
    period = PeriodFactory(workspace=world.workspace)
    return ObjectiveFactory(period=period, team=world.team, title="Ship the public API")


@pytest.fixture
def probe_calls() -> list[str]:
    probe_urls.CALLS.clear()
    return probe_urls.CALLS


def probe_url(world: World, suffix: str = "") -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/probe-objectives/{suffix}"
