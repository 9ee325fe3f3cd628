"""The task list's hand-written rows (tasks.api.task_rows) are TaskSerializer's JSON exactly,
so the documented schema and the fast list path cannot drift apart (issue #15)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from tasks import selectors
from tasks.api.task_rows import for_rows, labels_of, task_rows
from tasks.api.task_serializers import TaskSerializer
from tasks.models import Priority, TaskLabel
from tests.factories.work import (
    LabelFactory,
    RoadmapItemFactory,
    SprintFactory,
    TaskFactory,
    state_of,
)
from tests.querycount import count_queries

BASE = "/api/v1/workspaces/acme-inc"


def as_json(data: object) -> object:
    return json.loads(JSONRenderer().render(data))


@pytest.fixture
def varied(world):
    """Tasks with and without each optional part: assignee, estimate (whole, fractional,
    zero), due date, labels, roadmap item, sprint, parent, start and finish, a title that
    needs escaping, a person without a name."""
    team = world.team
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    sprint = SprintFactory(team=team)
    bare = TaskFactory(team=team, title='Quote " and <tag> & ünïcode')
    full = TaskFactory(
        team=team,
        assignee=world.member.user,
        estimate=Decimal("2.5"),
        priority=Priority.URGENT,
        due_date=date(2026, 5, 20),
        roadmap_item=item,
        sprint=sprint,
        description="Some *text*",
        state=state_of(team, "started"),
        started_at=timezone.now() - timedelta(days=2, microseconds=7),
    )
    child = TaskFactory(
        team=team,
        parent=full,
        estimate=Decimal("0"),
        assignee=world.owner.user,
        state=state_of(team, "done"),
        completed_at=timezone.now(),
    )
    whole = TaskFactory(team=team, estimate=Decimal("8"))
    for name in ("zeta", "alpha"):
        label = LabelFactory(workspace=world.workspace, name=name)
        TaskLabel.objects.create(workspace=world.workspace, task=full, label=label)
    world.owner.user.full_name = ""
    world.owner.user.save()
    return [bare, full, child, whole]


def test_rows_are_the_serializers_json(world, varied):
    tasks = list(selectors.tasks_shaped(world.workspace).order_by("pk"))
    expected = as_json(TaskSerializer(tasks, many=True).data)

    assert as_json(task_rows(tasks)) == expected
    plain = list(for_rows(selectors.tasks_shaped(world.workspace)).order_by("pk"))
    assert as_json(task_rows(plain, labels_of(world.workspace, plain))) == expected


def test_rows_are_the_serializers_json_in_another_time_zone(world, varied):
    tasks = list(selectors.tasks_shaped(world.workspace).order_by("pk"))

    with timezone.override("Pacific/Kiritimati"):
        assert as_json(task_rows(tasks)) == as_json(TaskSerializer(tasks, many=True).data)


def test_the_list_api_answers_the_serializers_rows(member_api, world, varied):
    response = member_api.get(f"{BASE}/tasks/?ordering=id")

    tasks = list(selectors.tasks_shaped(world.workspace).order_by("pk"))
    assert response.json()["results"] == as_json(TaskSerializer(tasks, many=True).data)


def test_the_list_api_query_count_does_not_grow(member_api, world, varied):
    url = f"{BASE}/tasks/"
    for _ in range(2):  # warm: a process caches a token from its second request on
        member_api.get(url)
    small, _ = count_queries(member_api, url)
    label = LabelFactory(workspace=world.workspace, name="more")
    for task in TaskFactory.create_batch(20, team=world.team, assignee=world.member.user):
        TaskLabel.objects.create(workspace=world.workspace, task=task, label=label)
    large, _ = count_queries(member_api, url)

    assert large == small <= 4


def test_every_serializer_field_is_written(world, varied):
    tasks = list(selectors.tasks_shaped(world.workspace)[:1])

    assert list(task_rows(tasks)[0]) == list(TaskSerializer.Meta.fields)
