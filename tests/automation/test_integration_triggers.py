"""PR and CI triggers from real signed GitHub deliveries through the integrations handlers."""

from __future__ import annotations

import pytest

from automation import services
from integrations.models import Integration, Provider
from integrations.notifications.models import Notification
from tasks.models import TaskComment, WorkflowState
from tests.factories.work import TaskFactory
from tests.integrations.ci_helpers import open_pr, payload, send_github
from tests.integrations.conftest import GITHUB_SECRET, integration_for

SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"  # check_run__completed.json's head_sha


@pytest.fixture
def github(world) -> Integration:
    return integration_for(world, Provider.GITHUB, GITHUB_SECRET)


def _enable(world, template):
    rule = services.rule_from_template(actor=world.admin, template=template)
    return services.rule_set_enabled(actor=world.admin, rule=rule, enabled=True)


def test_check_failed_template_comments_and_notifies_the_assignee(
    world, github, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team, assignee=world.member.user)
    _enable(world, "check-failed-comment-notify")
    open_pr(django_capture_on_commit_callbacks, github, task.key, sha=SHA, branch="changes")
    data = payload("github/check_run__completed.json")
    data["check_run"].update(conclusion="failure", completed_at="2019-05-15T15:21:12Z")
    send_github(django_capture_on_commit_callbacks, github, "check_run", data, "c1")
    comment = TaskComment.objects.get(task=task)
    assert comment.body.startswith("Check Octocoders-linter failed: https://")
    sentences = Notification.objects.filter(recipient=world.member.user)
    assert f"A check failed on {task.key}" in sentences.values_list("sentence", flat=True)


def test_review_requested_template_moves_to_in_review(
    world, github, django_capture_on_commit_callbacks
):
    task = TaskFactory(
        team=world.team, state=WorkflowState.objects.get(team=world.team, name="In Progress")
    )
    rule = _enable(world, "review-requested-in-review")
    # The integration's own review rules may move it first; then the rule's move is a no-op
    # recorded as skipped, never a second move.
    data = payload("github/pull_request__review_requested-capture.json")
    data["pull_request"]["title"] = f"{task.key} Fix the login"
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "r1")
    task.refresh_from_db()
    assert task.state.name == "In Review"
    run = rule.runs.get(status="applied")
    assert run.task_ids == [task.pk]
    assert task.events.filter(kind="state").count() == 1
