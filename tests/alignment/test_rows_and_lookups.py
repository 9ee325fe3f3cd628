"""alignment.rows (model instances from value rows) and the one-parameter `__in_ids` /
`__in_texts` lookups that the board's hot path reads with (issue #15)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.lookups import Ids, Texts
from alignment.rows import instances
from tasks.models import Task
from tests.conftest import World
from tests.factories.work import TaskFactory

pytestmark = pytest.mark.django_db


def test_instances_hold_the_same_values_as_the_orm(world: World) -> None:
    assigned = TaskFactory(team=world.team, assignee=world.member.user, estimate=Decimal("2.5"))
    unassigned = TaskFactory(team=world.team, title="Nobody's <b>")
    fields = ("id", "number", "title", "estimate", "assignee_id", "version")

    made = instances(
        Task.objects.filter(pk__in=[assigned.pk, unassigned.pk]).order_by("pk"),
        fields,
        related={"assignee": ("email", "full_name")},
    )

    for task, fresh in zip(made, [assigned, unassigned], strict=True):
        fresh.refresh_from_db()
        assert isinstance(task, Task)
        assert task.pk == fresh.pk
        assert {f: getattr(task, f) for f in fields} == {f: getattr(fresh, f) for f in fields}
        assert task._state.adding is False
        assert task._state.db == "default"
    with CaptureQueriesContext(connection) as reading:
        assert made[0].assignee.email == world.member.user.email
        assert made[0].assignee.display_name == world.member.user.display_name
        assert made[1].assignee is None
    assert len(reading) == 0


def test_a_field_not_read_is_deferred_and_loads_on_access(world: World) -> None:
    task = TaskFactory(team=world.team, description="Long text")

    (made,) = instances(Task.objects.filter(pk=task.pk), ("id", "title"))

    assert made.get_deferred_fields() >= {"description", "number"}
    with CaptureQueriesContext(connection) as reading:
        assert made.description == "Long text"
    assert len(reading) == 1


def test_related_rows_are_built_once_per_key(world: World) -> None:
    for _ in range(3):
        TaskFactory(team=world.team, assignee=world.member.user)

    made = instances(
        Task.objects.filter(team=world.team), ("id",), related={"assignee": ("email",)}
    )

    assert len({id(task.assignee) for task in made}) == 1
    assert made[0].assignee_id == world.member.user.pk


def test_in_ids_matches_in(world: World) -> None:
    tasks = [TaskFactory(team=world.team) for _ in range(4)]
    wanted = [tasks[0].pk, tasks[2].pk, 999_999]

    found = Task.objects.filter(pk__in_ids=Ids(wanted)).order_by("pk")

    assert list(found) == list(Task.objects.filter(pk__in=wanted).order_by("pk"))
    assert list(Task.objects.filter(team_id__in_ids=Ids([world.team.pk]))) != []
    assert not Task.objects.filter(pk__in_ids=Ids([])).exists()


def test_in_ids_is_one_parameter_whatever_the_count(world: World) -> None:
    few = Task.objects.filter(pk__in_ids=Ids(range(3))).query.sql_with_params()
    many = Task.objects.filter(pk__in_ids=Ids(range(3000))).query.sql_with_params()

    assert few[0] == many[0]
    assert len(many[1]) == len(few[1]) == 1


def test_in_texts_matches_in(world: World) -> None:
    task = TaskFactory(team=world.team, title="Alpha")
    TaskFactory(team=world.team, title="Beta")

    found = Task.objects.filter(title__in_texts=Texts(["Alpha", "Gamma", "' OR 1=1 --"]))

    assert list(found) == [task]
    assert not Task.objects.filter(title__in_texts=Texts([])).exists()


def test_the_lookups_refuse_an_unwrapped_list(world: World) -> None:
    with pytest.raises(TypeError, match="Ids"):
        Task.objects.filter(pk__in_ids=[1, 2])
    with pytest.raises(ValueError, match="invalid literal"):
        Ids(["1; DROP TABLE tasks_task"])
