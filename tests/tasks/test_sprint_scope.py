"""The one definition of a sprint's numbers (tasks.sprint_scope), case by case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from tasks import services
from tasks.models import SprintStatus, Task, WorkflowState
from tasks.models import StateCategory as C
from tasks.sprint_scope import sprint_report, sprint_scope
from tests.conftest import api_client_for
from tests.factories.work import SprintFactory, state_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workspaces/acme-inc"
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def hours(n: float) -> datetime:
    return START + timedelta(hours=n)


@pytest.fixture
def sprint(world):
    """A two-week sprint of the world's team, started at START."""
    return SprintFactory(
        team=world.team,
        name="Sprint 1",
        start_date=START.date(),
        end_date=START.date() + timedelta(days=13),
    )


def start(world, sprint) -> None:
    with time_machine.travel(START, tick=False):
        services.sprint_start(actor=world.member, sprint=sprint)
    sprint.refresh_from_db()


def create(world, sprint, *, at: datetime, estimate: int | None = 3, title: str = "Work") -> Task:
    with time_machine.travel(at, tick=False):
        return services.task_create(
            actor=world.member, team=world.team, title=title, estimate=estimate, sprint=sprint
        )


def move(world, task: Task, *, at: datetime, **changes) -> Task:
    with time_machine.travel(at, tick=False):
        task = Task.objects.get(pk=task.pk)
        return services.task_update(actor=world.member, task=task, **changes)


def transition(world, task: Task, category: str, *, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        task = Task.objects.get(pk=task.pk)
        services.task_transition(
            actor=world.member, task=task, to_state=state_of(world.team, category)
        )


def close(world, sprint, *, at: datetime, carry_to=None) -> list:
    with time_machine.travel(at, tick=False):
        carried = services.sprint_close(actor=world.member, sprint=sprint, carry_to=carry_to)
    sprint.refresh_from_db()
    return carried


def test_a_task_created_directly_in_the_active_sprint_counts_as_added_after_start(world, sprint):
    create(world, sprint, at=hours(-2), estimate=5, title="Planned")
    start(world, sprint)
    added = create(world, sprint, at=hours(3), estimate=2, title="Urgent fix")

    scope = sprint_scope(sprint, as_of=hours(3))  # read at the very moment it was created

    assert (scope.committed.count, scope.committed.points) == (1, Decimal(5))
    assert (scope.added.count, scope.added.points, scope.added.task_ids) == (
        1,
        Decimal(2),
        [added.pk],
    )
    assert scope.open.count == 2


def test_a_task_moved_in_after_start_is_added_at_its_estimate_when_it_entered(world, sprint):
    start(world, sprint)
    task = create(world, None, at=hours(1), estimate=3)
    move(world, task, at=hours(2), sprint=sprint)
    move(world, task, at=hours(5), estimate=8)

    scope = sprint_scope(sprint, as_of=hours(6))

    assert (scope.added.count, scope.added.points) == (1, Decimal(3))
    assert scope.open.points == Decimal(8)
    assert scope.reestimated_points == Decimal(5)


def test_committed_points_are_the_estimates_at_the_start(world, sprint):
    task = create(world, sprint, at=hours(-5), estimate=3)
    start(world, sprint)
    move(world, task, at=hours(4), estimate=5)
    transition(world, task, C.DONE, at=hours(8))

    scope = sprint_scope(sprint, as_of=hours(9))

    assert (scope.committed.points, scope.completed.points) == (Decimal(3), Decimal(5))
    assert scope.added.count == 0
    assert scope.reestimated_points == Decimal(2)


def test_work_moved_out_or_canceled_is_removed_and_not_carried(world, sprint):
    moved, canceled, kept = (
        create(world, sprint, at=hours(-3), estimate=e, title=t)
        for e, t in ((2, "Moved"), (3, "Canceled"), (5, "Kept"))
    )
    start(world, sprint)
    move(world, moved, at=hours(1), sprint=None)
    transition(world, canceled, C.CANCELED, at=hours(2))

    carried = close(world, sprint, at=hours(10))
    scope = sprint_scope(sprint, as_of=hours(11))

    assert [c.task_id for c in carried] == [kept.pk]
    assert sorted(scope.removed.task_ids) == sorted([moved.pk, canceled.pk])
    assert scope.removed.points == Decimal(5)
    assert (scope.carried_over.count, scope.carried_over.points) == (1, Decimal(5))


def test_a_merged_task_leaves_the_sprint_even_when_its_team_has_no_canceled_state(world, sprint):
    # Without a canceled column the tombstone is parked in a done one; it was never finished.
    WorkflowState.objects.filter(team=world.team, category=C.CANCELED).delete()
    source = create(world, sprint, at=hours(-3), estimate=5, title="Duplicate")
    into = create(world, sprint, at=hours(-2), estimate=2, title="Original")
    start(world, sprint)
    with time_machine.travel(hours(4), tick=False):
        services.task_merge(actor=world.member, source=source, into=into)
    assert Task.all_objects.get(pk=source.pk).state_category == C.DONE

    carried = close(world, sprint, at=hours(10))
    scope = sprint_scope(sprint, as_of=hours(11))

    assert [c.task_id for c in carried] == [into.pk]
    assert scope.completed.count == 0
    assert (scope.removed.task_ids, scope.carried_over.task_ids) == ([source.pk], [into.pk])


def test_a_column_that_becomes_done_completes_its_tasks_in_history_too(world, sprint):
    """One cause of "close carries 12, metrics show 11": a re-categorized column changed the
    tasks' category without a history row, so close and the replay disagreed."""
    review = WorkflowState.objects.get(team=world.team, name="In Review")
    in_review = create(world, sprint, at=hours(-3), estimate=8, title="Awaiting review")
    other = create(world, sprint, at=hours(-2), estimate=1, title="Still to do")
    start(world, sprint)
    with time_machine.travel(hours(1), tick=False):
        services.task_transition(
            actor=world.member, task=Task.objects.get(pk=in_review.pk), to_state=review
        )
    with time_machine.travel(hours(5), tick=False):
        services.workflow_state_update(actor=world.admin, state=review, category=C.DONE)

    carried = close(world, sprint, at=hours(10))
    scope = sprint_scope(sprint, as_of=hours(11))

    assert [c.task_id for c in carried] == [other.pk]
    assert (scope.completed.task_ids, scope.carried_over.task_ids) == ([in_review.pk], [other.pk])


def test_the_burndown_ends_on_the_close_numbers(world, sprint):
    done, open_ = (
        create(world, sprint, at=hours(-3), estimate=e, title=t)
        for e, t in ((3, "Done"), (5, "Open"))
    )
    start(world, sprint)
    transition(world, done, C.DONE, at=hours(30))
    close(world, sprint, at=hours(24 * 15))  # two days after the end date

    scope, days = sprint_report(sprint, as_of=hours(24 * 20))

    assert days[0] == {"day": "2026-03-02", "scope": 8.0, "done": 0.0, "remaining": 8.0}
    assert days[-1] == {"day": "2026-03-17", "scope": 8.0, "done": 3.0, "remaining": 5.0}
    assert (scope.completed.points, scope.carried_over.points) == (Decimal(3), Decimal(5))
    assert open_.pk in scope.carried_over.task_ids


def test_a_planned_sprint_has_only_planned_work(world, sprint):
    create(world, sprint, at=hours(-3), estimate=3)
    scope, days = sprint_report(sprint, as_of=hours(-1))
    assert (scope.planned.count, scope.committed.count, days) == (1, 0, [])


def test_the_sprint_api_reports_the_scope_with_task_keys(world, sprint):
    planned = create(world, sprint, at=hours(-3), estimate=3, title="Planned")
    start(world, sprint)
    added = create(world, sprint, at=hours(2), estimate=2, title="Added")
    viewer = api_client_for(world.viewer, scope="read")

    response = viewer.get(f"{BASE}/sprints/{sprint.pk}/scope/?as_of=2026-03-02T12:00:00Z")

    assert response.status_code == 200
    body = response.json()
    assert body["committed"] == {"count": 1, "points": 3.0, "tasks": [planned.key]}
    assert body["added_after_start"] == {"count": 1, "points": 2.0, "tasks": [added.key]}
    assert body["open"]["count"] == 2
    assert body["carried_over"]["count"] == 0
    assert body["burndown"] == [{"day": "2026-03-02", "scope": 5.0, "done": 0.0, "remaining": 5.0}]


def test_the_sprint_api_refuses_an_unreadable_as_of(world, sprint):
    viewer = api_client_for(world.viewer, scope="read")
    response = viewer.get(f"{BASE}/sprints/{sprint.pk}/scope/?as_of=yesterday")
    assert response.status_code == 400  # a bad query parameter, like every other
    assert list(response.json()["error"]["fields"]) == ["as_of"]


def test_closing_through_the_api_answers_with_the_sprints_numbers(world, sprint, member_api):
    create(world, sprint, at=hours(-3), estimate=3, title="Carried")
    start(world, sprint)
    done = create(world, sprint, at=hours(2), estimate=2, title="Added and done")
    transition(world, done, C.DONE, at=hours(3))

    with time_machine.travel(hours(50), tick=False):
        response = member_api.post(
            f"{BASE}/sprints/{sprint.pk}/close/",
            json.dumps({"carry_to": None}),
            content_type="application/json",
        )

    assert response.status_code == 200
    body = response.json()
    assert body["sprint"]["status"] == SprintStatus.CLOSED
    scope = body["scope"]
    assert (scope["committed"]["count"], scope["added_after_start"]["count"]) == (1, 1)
    assert scope["completed"] == {"count": 1, "points": 2.0, "tasks": [done.key]}
    assert scope["carried_over"]["tasks"] == [c["task"] for c in body["carried_over"]]
