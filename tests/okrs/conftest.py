"""OKR fixtures on top of the shared `world`: a current period with an objective and a KR."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from okrs.models import KeyResult, Objective, ObjectiveLevel, Period
from tests.conftest import World
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def period(world: World, today) -> Period:
    return PeriodFactory(
        workspace=world.workspace,
        name="This quarter",
        start=today - timedelta(days=45),
        end=today + timedelta(days=45),
    )


@pytest.fixture
def next_period(world: World, period: Period) -> Period:
    return PeriodFactory(
        workspace=world.workspace,
        name="Next quarter",
        start=period.end + timedelta(days=1),
        end=period.end + timedelta(days=91),
    )


@pytest.fixture
def objective(world: World, period: Period) -> Objective:
    return ObjectiveFactory(
        period=period,
        team=world.team,
        owner=world.member.user,
        title="Make onboarding effortless for new teams",
    )


@pytest.fixture
def key_result(objective: Objective, world: World) -> KeyResult:
    return KeyResultFactory(
        objective=objective,
        owner=world.member.user,
        title="Raise activation from 40% to 60%",
        kind="percentage",
        unit="%",
        baseline=40,
        target=60,
        current=40,
    )


@pytest.fixture
def company_objective(world: World, period: Period) -> Objective:
    return ObjectiveFactory(
        period=period,
        level=ObjectiveLevel.COMPANY,
        team=None,
        owner=world.admin.user,
        title="Become the easiest planning tool to start with",
    )


@pytest.fixture
def aligned(objective: Objective, company_objective: Objective) -> Objective:
    objective.parent = company_objective
    objective.save(update_fields=["parent"])
    return objective
