from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from alignment.demo import seed_company
from roadmaps.models import KeyResultLink, RoadmapItem
from tasks.demo import NEAR_DUPLICATES, seed_work
from tasks.models import Sprint, SprintCarryOver, Task, TaskDependency, TaskEvent
from tasks.similarity import similar_open_tasks
from tests.factories.work import key_result_in

TODAY = date(2026, 2, 18)


@pytest.fixture
def company(db):
    return seed_company()


def seed(company):
    return seed_work(
        workspace=company.workspace, teams=company.teams, people=company.people, today=TODAY
    )


def test_demo_work_has_the_promised_shape(company):
    key_result_in(company.workspace)
    with CaptureQueriesContext(connection) as queries:
        summary = seed(company)
    tasks = Task.objects.for_workspace(company.workspace)
    # `make run` seeds this on every fresh start, so it must stay bulk: 68 queries today for
    # hundreds of tasks, where one insert a row would be well over 300. (A wall-clock bound
    # here measured the machine, not the code.)
    assert len(queries) <= 100
    assert 10 <= RoadmapItem.objects.count() <= 20
    assert 300 <= tasks.count() <= 600
    assert KeyResultLink.objects.count() >= RoadmapItem.objects.count()
    assert summary.counts["unaligned"] > 0
    assert TaskEvent.objects.count() > tasks.count()
    assert SprintCarryOver.objects.exists()


def test_demo_has_one_active_sprint_per_team(company):
    seed(company)
    for team in company.teams.values():
        statuses = sorted(Sprint.objects.filter(team=team).values_list("status", flat=True))
        assert statuses == ["active", "closed", "closed", "planned"]


def test_demo_blocks_work_across_teams(company):
    seed(company)
    crossing = TaskDependency.objects.exclude(blocking__team=F("blocked__team"))
    assert crossing.count() >= 3


def test_demo_near_duplicates_are_found(company):
    seed(company)
    first, second = NEAR_DUPLICATES[0]
    found = similar_open_tasks(company.workspace, first)
    assert second in [t.title for t in found]


def test_seeding_twice_changes_nothing(company):
    seed(company)
    before = (Task.objects.count(), TaskEvent.objects.count(), RoadmapItem.objects.count())
    summary = seed(company)
    assert summary.created is False
    assert (Task.objects.count(), TaskEvent.objects.count(), RoadmapItem.objects.count()) == before


def test_demo_task_numbers_continue_after_the_seed(company):
    from tasks.services.core import next_number

    seed(company)
    team = company.teams["PLT"]
    highest = Task.objects.filter(team=team).order_by("-number").values_list("number", flat=True)[0]
    assert next_number(team) == highest + 1
