from __future__ import annotations

from tasks import services
from tasks.similarity import portable_similarity, similar_open_tasks
from tests.factories.work import TaskFactory, state_of


def test_similar_tasks_are_ranked_best_first_across_teams(world, other_team):
    best = TaskFactory(team=other_team, title="Fix the login page redirect")
    good = TaskFactory(team=world.team, title="Fix login page")
    TaskFactory(team=world.team, title="Write quarterly report")
    found = similar_open_tasks(world.workspace, "Fix login page redirect")
    assert found == [best, good]


def test_closed_tasks_are_not_suggested(world):
    TaskFactory(team=world.team, title="Fix login page", state=state_of(world.team, "done"))
    assert similar_open_tasks(world.workspace, "Fix login page") == []


def test_other_workspaces_tasks_are_never_suggested(world, world_b):
    TaskFactory(team=world_b.team, title="Fix login page")
    assert similar_open_tasks(world.workspace, "Fix login page") == []


def test_dismissed_pairs_are_not_suggested(world):
    task = TaskFactory(team=world.team, title="Fix login page")
    other = TaskFactory(team=world.team, title="Fix login page now")
    services.task_mark_not_duplicate(actor=world.member, task=task, other=other)
    assert similar_open_tasks(world.workspace, task.title, exclude_id=task.pk) == []


def test_portable_similarity_matches_pg_trgm():
    # pg_trgm: SELECT similarity('Fix login page redirect', 'Fix the login page redirect')
    assert (
        round(portable_similarity("Fix login page redirect", "Fix the login page redirect"), 6)
        == 0.857143
    )
