from __future__ import annotations

import pytest

from customfields.models import CustomField, FieldKind
from tasks.models import Task
from tests.conftest import World
from tests.factories.customfields import define
from tests.factories.work import TaskFactory


@pytest.fixture
def task(world: World) -> Task:
    return TaskFactory(team=world.team, created_by=world.member.user)


@pytest.fixture
def customer(world: World) -> CustomField:
    return define(world.admin, "Customer", FieldKind.SELECT, options=["Acme", "Globex", "Initech"])


@pytest.fixture
def deal_size(world: World) -> CustomField:
    return define(world.admin, "Deal size", FieldKind.NUMBER)
