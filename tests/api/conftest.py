"""Fixtures of the API tests: a versioned objective in the world's workspace, probe routes,
and the world the schemathesis runs (stateless and stateful) fuzz."""

from __future__ import annotations

import uuid

import pytest
from django.core import signals
from django.db import close_old_connections

from okrs.models import Objective
from tests.api import probe_urls
from tests.conftest import World
from tests.factories import ApiTokenFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory


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


@pytest.fixture
def _test_connection_kept_open():
    # Django's WSGI handler closes "unusable" connections after each request, and inside the
    # test's transaction (autocommit off) PostgreSQL's looks unusable. Django's test Client
    # unhooks the same handler; so do we, around the schemathesis calls.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(world: World, settings) -> tuple[World, str]:
    settings.API_RATE_LIMITS = {"token": "", "anon": "", "address": ""}
    raw = f"aln_{uuid.uuid4().hex}"
    ApiTokenFactory(raw=raw, workspace=world.workspace, user=world.owner.user, scope="write")
    period = PeriodFactory(workspace=world.workspace)
    objective = ObjectiveFactory(period=period, team=world.team)
    KeyResultFactory(objective=objective)
    return world, raw
