"""The demo's history is in time order, and its sprints' numbers agree on every surface."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from alignment.demo import DEMO_SLUG, seed_company
from alignment.models import Membership
from tasks.demo import seed_work
from tasks.models import Sprint, SprintCarryOver, SprintStatus, Task, TaskEvent
from tasks.models import StateCategory as C
from tasks.sprint_scope import sprint_scope
from tests.conftest import api_client_for
from tests.dashboards.sprint_truth import (
    burndown_end,
    close_through_api,
    from_api,
    from_flow,
    from_scope,
    scope_through_api,
    team_flow,
)

pytestmark = pytest.mark.django_db

BASE = f"/api/v1/workspaces/{DEMO_SLUG}"
# Mid-sprint in the afternoon, and the first minutes of the day the active sprint starts.
MOMENTS = {
    "mid-sprint": (date(2026, 2, 18), datetime(2026, 2, 18, 15, tzinfo=UTC)),
    "start-day-early": (date(2026, 6, 8), datetime(2026, 6, 8, 0, 20, tzinfo=UTC)),
}


@pytest.fixture(params=list(MOMENTS))
def demo(request):
    today, now = MOMENTS[request.param]
    company = seed_company()
    seed_work(
        workspace=company.workspace,
        teams=company.teams,
        people=company.people,
        today=today,
        now=now,
    )
    return company, now


def test_every_tasks_history_is_in_time_order_and_inside_its_sprints(demo):
    _, now = demo
    sprints = {s.pk: s for s in Sprint.objects.all()}
    events = defaultdict(list)
    for event in TaskEvent.objects.order_by("id"):
        events[event.task_id].append(event)
    for task in Task.all_objects.all():
        history = events[task.pk]
        times = [e.created_at for e in history]
        assert times == sorted(times), task.key
        assert (history[0].kind, history[0].created_at) == ("created", task.created_at), task.key
        assert times[-1] <= now, task.key
        last = history[-1]
        assert (last.sprint_id, last.state_category, last.estimate) == (
            task.sprint_id,
            task.state_category,
            task.estimate,
        ), task.key
        if task.completed_at:
            assert task.started_at is not None
            assert task.started_at <= task.completed_at <= now, task.key
        for event in history:
            sprint = sprints.get(event.sprint_id) if event.sprint_id else None
            if event.kind != "state" or sprint is None:
                continue
            assert sprint.started_at is not None, f"{task.key} works in a sprint not started"
            assert event.created_at > sprint.started_at, task.key
            if sprint.closed_at:
                assert event.created_at < sprint.closed_at, task.key


def test_every_carry_over_row_has_its_history(demo):
    rows = list(SprintCarryOver.objects.select_related("from_sprint"))
    assert rows, "the demo carries work over"
    for row in rows:
        moved = TaskEvent.objects.get(task_id=row.task_id, kind="sprint", after__carried_over=True)
        assert moved.created_at == row.from_sprint.closed_at == row.created_at
        assert (moved.before, moved.sprint_id) == ({"sprint": row.from_sprint_id}, row.to_sprint_id)


def test_the_demos_closed_sprints_agree_with_their_carry_over_rows(demo):
    _, now = demo
    for sprint in Sprint.objects.filter(status=SprintStatus.CLOSED):
        scope = sprint_scope(sprint, as_of=now)
        rows = SprintCarryOver.objects.filter(from_sprint=sprint).values_list("task_id", flat=True)
        assert sorted(scope.carried_over.task_ids) == sorted(rows), sprint.name
        assert from_flow(team_flow(sprint, now=now)) == from_scope(scope), sprint.name


def test_the_demo_shows_every_kind_of_sprint_number(demo):
    _, now = demo
    scopes = [sprint_scope(s, as_of=now) for s in Sprint.objects.exclude(status="planned")]
    assert sum(s.added.count for s in scopes) > 0
    assert sum(s.carried_over.count for s in scopes) > 0
    assert sum(s.removed.count for s in scopes) > 0  # canceled work


def test_closing_each_demo_sprint_agrees_with_metrics_burndown_and_the_api(demo):
    company, now = demo
    client = api_client_for(
        Membership.objects.get(workspace=company.workspace, user=company.people["priya"])
    )
    closing = now + timedelta(minutes=30)
    later = now + timedelta(days=1)
    for team in company.teams.values():
        sprint = Sprint.objects.get(team=team, status=SprintStatus.ACTIVE)
        before = from_scope(sprint_scope(sprint, as_of=now))
        assert from_flow(team_flow(sprint, now=now)) == before, team.key

        with time_machine.travel(closing, tick=False):
            closed = close_through_api(client, BASE, sprint, {})
        sprint.refresh_from_db()
        with time_machine.travel(later, tick=False):
            api = scope_through_api(client, BASE, sprint)

        carried = closed["carried_over"]
        assert len(carried) == before["carried"][0], team.key
        assert float(sum(c["estimate"] or 0 for c in carried)) == before["carried"][1]
        assert from_api(closed["scope"]) == before, team.key
        assert from_api(api) == before, team.key
        assert from_flow(team_flow(sprint, now=later)) == before, team.key
        completed, open_points = before["completed"][1], before["carried"][1]
        assert burndown_end(sprint, now=later) == (
            completed + open_points,
            completed,
            open_points,
        )
        assert Task.objects.filter(sprint=sprint, state_category__in=[C.UNSTARTED]).count() == 0
