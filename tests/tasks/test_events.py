from __future__ import annotations

import pytest

from alignment import events
from tasks import services
from tasks.events import SprintStarted, TaskChanged, TaskCreated
from tasks.models import SprintStatus
from tests.factories.work import SprintFactory, TaskFactory, state_of


@pytest.fixture
def received():
    seen: list[object] = []
    events.subscribe(TaskCreated, seen.append)
    events.subscribe(TaskChanged, seen.append)
    yield seen
    events.unsubscribe(TaskCreated, seen.append)
    events.unsubscribe(TaskChanged, seen.append)


def test_task_created_is_published_only_after_commit(
    world, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task = services.task_create(actor=world.member, team=world.team, title="x")
    assert received == []
    for callback in callbacks:
        callback()
    assert received == [
        TaskCreated(
            workspace_id=world.workspace.pk,
            task_id=task.pk,
            roadmap_item_id=None,
            actor_id=world.member.user_id,
        )
    ]


def test_transition_publishes_the_changed_fields(
    world, received, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team)
    with django_capture_on_commit_callbacks(execute=True):
        services.task_transition(
            actor=world.member, task=task, to_state=state_of(world.team, "started")
        )
    assert received == [
        TaskChanged(
            workspace_id=world.workspace.pk,
            task_id=task.pk,
            fields=("state",),
            roadmap_item_ids=(),
            actor_id=world.member.user_id,
            watchers=(),
        )
    ]


def test_sprint_start_announces_the_started_sprint(world, django_capture_on_commit_callbacks):
    seen: list[SprintStarted] = []
    events.subscribe(SprintStarted, seen.append)
    sprint = SprintFactory(team=world.team, status=SprintStatus.PLANNED)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.sprint_start(actor=world.member, sprint=sprint)
    finally:
        events.unsubscribe(SprintStarted, seen.append)
    assert seen == [
        SprintStarted(
            workspace_id=world.workspace.pk, sprint_id=sprint.pk, actor_id=world.member.user_id
        )
    ]
