"""The task and check-in commands against a live server, over real HTTP."""

import json
from decimal import Decimal

import pytest
from alignment_cli.client import EXIT_NOT_FOUND, EXIT_USAGE
from alignment_cli.main import app

from okrs.models import CheckIn
from tasks.models import Task, TaskComment
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapItemFactory,
    TaskFactory,
    key_result_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def my_task(world):
    return TaskFactory(
        team=world.team, title="Speed up the board", assignee=world.member.user, estimate=3
    )


def test_tasks_lists_my_open_tasks_only(runner, logged_in, world, my_task):
    TaskFactory(team=world.team, title="Someone else's", assignee=world.admin.user)

    result = runner.invoke(app, ["tasks", "--json"])

    assert result.exit_code == 0, result.output
    assert [t["key"] for t in json.loads(result.output)] == [my_task.key]


def test_task_start_and_done_follow_the_team_workflow(runner, logged_in, my_task):
    started = runner.invoke(app, ["task", "start", my_task.key])
    assert started.exit_code == 0, started.output
    my_task.refresh_from_db()
    assert my_task.state.category == "started"

    done = runner.invoke(app, ["task", "done", my_task.key])
    assert done.exit_code == 0, done.output
    my_task.refresh_from_db()
    assert my_task.state.category == "done"
    assert f"{my_task.key} → {my_task.state.name}" in done.output


def test_task_move_to_an_unknown_state_names_the_real_ones(runner, logged_in, my_task):
    result = runner.invoke(app, ["task", "move", my_task.key, "Limbo"])
    assert result.exit_code == EXIT_USAGE
    assert "has no state “Limbo”. States:" in result.output


def test_task_show_of_a_missing_key_is_not_found(runner, logged_in, world):
    result = runner.invoke(app, ["task", "show", "ENG-9999"])
    assert result.exit_code == EXIT_NOT_FOUND


def test_task_show_draws_the_line_to_the_objective(runner, logged_in, world, my_task):
    kr = key_result_in(world.workspace, title="Board loads in 50 ms")
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, title="Fast boards")
    KeyResultLinkFactory(item=item, key_result=kr)
    Task.objects.filter(pk=my_task.pk).update(roadmap_item=item)

    result = runner.invoke(app, ["task", "show", my_task.key])

    assert result.exit_code == 0, result.output
    assert "Fast boards  (roadmap item)" in result.output
    assert "Board loads in 50 ms" in result.output
    assert kr.objective.title in result.output


def test_task_show_says_unaligned(runner, logged_in, my_task):
    result = runner.invoke(app, ["task", "show", my_task.key])
    assert result.exit_code == 0, result.output
    assert "Unaligned" in result.output


def test_task_new_creates_in_the_team_and_assigns_me(runner, logged_in, world):
    result = runner.invoke(app, ["task", "new", "Write the runbook", "--team", "ENG", "--mine"])

    assert result.exit_code == 0, result.output
    task = Task.objects.get(title="Write the runbook")
    assert task.team == world.team
    assert task.assignee == world.member.user
    assert f"Created {task.key}" in result.output


def test_task_assign_by_email(runner, logged_in, world, my_task):
    result = runner.invoke(app, ["task", "assign", my_task.key, world.admin.user.email])
    assert result.exit_code == 0, result.output
    my_task.refresh_from_db()
    assert my_task.assignee == world.admin.user


def test_comment_and_checkin(runner, logged_in, world, my_task):
    kr = key_result_in(world.workspace)
    commented = runner.invoke(app, ["comment", my_task.key, "Looks good"])
    assert commented.exit_code == 0, commented.output
    assert TaskComment.objects.get(task=my_task).body == "Looks good"

    checked = runner.invoke(app, ["checkin", str(kr.pk), "0.4", "--confidence", "7"])
    assert checked.exit_code == 0, checked.output
    check_in = CheckIn.objects.get(key_result=kr)
    assert (check_in.value, check_in.confidence) == (Decimal("0.4"), 7)


def test_task_alone_shows_the_current_branchs_task(
    runner, logged_in, my_task, tmp_path, monkeypatch
):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "-C", str(repo), "init", "-q", "-b", "main"], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "switch", "-q", "-c", f"{my_task.key.lower()}-speed-up"],
        check=True,
    )
    monkeypatch.chdir(repo)

    result = runner.invoke(app, ["task"])

    assert result.exit_code == 0, result.output
    assert f"{my_task.key}  Speed up the board" in result.output
