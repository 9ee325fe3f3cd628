"""Dry runs replay failed CI (GitHub and GitLab), GitLab merge requests and key result status
changes from stored history, and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from automation import replay, services
from automation.models import Trigger
from dashboards.models import Snapshot
from integrations.models import Integration, Provider
from tasks.models import TaskComment
from tests.factories.okrs import KeyResultFactory
from tests.factories.work import TaskFactory
from tests.integrations.ci_helpers import open_pr, payload, send_github, send_gitlab
from tests.integrations.conftest import GITHUB_SECRET, GITLAB_TOKEN, integration_for

SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"  # check_run__completed.json's head_sha


@pytest.fixture
def github(world) -> Integration:
    return integration_for(world, Provider.GITHUB, GITHUB_SECRET)


@pytest.fixture
def gitlab(world) -> Integration:
    return integration_for(world, Provider.GITLAB, GITLAB_TOKEN)


def _rule(world, trigger: str, text: str, **extra):
    return services.rule_create(
        actor=world.admin,
        name=f"On {trigger}",
        trigger=trigger,
        actions=[{"kind": "comment", "text": text}],
        **extra,
    )


def _open_mr(capture, gitlab, key: str) -> dict:
    data = payload("gitlab/merge_request_hook__opened.json")
    data["object_attributes"]["title"] = f"{key} Fix the login"
    send_gitlab(capture, gitlab, "Merge Request Hook", data, f"mr-open-{key}")
    return data


def test_a_github_check_that_failed_is_replayed(world, github, django_capture_on_commit_callbacks):
    task = TaskFactory(team=world.team)
    passing = TaskFactory(team=world.team)
    open_pr(django_capture_on_commit_callbacks, github, task.key, sha=SHA, branch="changes")
    data = payload("github/check_run__completed.json")
    data["check_run"].update(conclusion="failure", completed_at="2019-05-15T15:21:12Z")
    send_github(django_capture_on_commit_callbacks, github, "check_run", data, "c1")
    data["check_run"].update(conclusion="success", head_sha="0" * 40, pull_requests=[])
    data["check_run"]["check_suite"]["head_branch"] = "elsewhere"
    send_github(django_capture_on_commit_callbacks, github, "check_run", data, "c2")
    rule = _rule(world, Trigger.CHECK_FAILED, "Check {title} failed")
    _, hits = replay.dry_run(actor=world.admin, rule=rule)
    assert [h.lines for h in hits] == [[f"{task.key}: comment “Check Octocoders-linter failed”"]]
    assert hits[0].event == "check Octocoders-linter failed"
    assert passing.key not in str(hits)
    assert not TaskComment.objects.exists()


def test_a_failed_gitlab_pipeline_and_job_are_replayed(
    world, gitlab, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team)
    mr = _open_mr(django_capture_on_commit_callbacks, gitlab, task.key)
    pipeline = payload("gitlab/pipeline_hook__docs_example.json")
    pipeline["merge_request"]["id"] = mr["object_attributes"]["id"]
    pipeline["object_attributes"]["status"] = "failed"
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Pipeline Hook", pipeline, "p1")
    job = payload("gitlab/job_hook__failed_handwritten.json")
    job["ref"] = mr["object_attributes"]["source_branch"]
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Job Hook", job, "j1")
    rule = _rule(world, Trigger.CHECK_FAILED, "{title}: {url}")
    _, hits = replay.dry_run(actor=world.admin, rule=rule)
    lines = sorted(line for h in hits for line in h.lines)
    assert len(lines) == 2
    assert lines[0].startswith(f"{task.key}: comment “pipeline: ")
    assert lines[1].startswith(f"{task.key}: comment “test / rspec: ")
    assert lines[1].endswith("/-/jobs/1977”")


@pytest.mark.parametrize(
    ("trigger", "action", "fires"),
    [
        (Trigger.PR_OPENED, "open", True),
        (Trigger.PR_MERGED, "merge", True),
        (Trigger.PR_MERGED, "open", False),
    ],
)
def test_gitlab_merge_requests_are_replayed(
    world, gitlab, django_capture_on_commit_callbacks, trigger, action, fires
):
    task = TaskFactory(team=world.team)
    data = payload("gitlab/merge_request_hook__opened.json")
    data["object_attributes"].update(title=f"{task.key} Fix the login", action=action)
    if action == "merge":
        data["object_attributes"]["state"] = "merged"
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Merge Request Hook", data, "mr-1")
    rule = _rule(world, trigger, "MR {title}")
    _, hits = replay.dry_run(actor=world.admin, rule=rule)
    expected = [[f"{task.key}: comment “MR {task.key} Fix the login”"]] if fires else []
    assert [h.lines for h in hits] == expected


def test_key_result_status_changes_are_replayed_from_daily_snapshots(world):
    kr = KeyResultFactory(objective__workspace=world.workspace, owner=world.member.user)
    steady = KeyResultFactory(objective__workspace=world.workspace)
    today = timezone.localdate()
    statuses = {
        kr.pk: ["on_track", "on_track", "at_risk", "off_track"],
        steady.pk: ["on_track", "on_track", "on_track", "on_track"],
    }
    for node_id, days in statuses.items():
        for back, status in zip((5, 4, 3, 2), days, strict=True):
            Snapshot.objects.create(
                workspace=world.workspace,
                day=today - timedelta(days=back),
                kind="key_result",
                node_id=node_id,
                status=status,
            )
    rule = services.rule_create(
        actor=world.admin,
        name="Off track: tell the owner",
        trigger=Trigger.KR_STATUS_CHANGED,
        conditions=[{"kind": "kr_status", "value": "off_track"}],
        actions=[{"kind": "notify", "who": "kr_owner", "text": "KR off track"}],
    )
    _, hits = replay.dry_run(actor=world.admin, rule=rule, days=14)
    assert [h.event for h in hits] == [f"KR {kr.pk} at_risk → off_track"]
    assert hits[0].at.date() == today - timedelta(days=2)
    # Outside the window: the change three days ago is not replayed over two days.
    _, recent = replay.dry_run(actor=world.admin, rule=rule, days=2)
    assert [h.event for h in recent] == [f"KR {kr.pk} at_risk → off_track"]
    _, none = replay.dry_run(actor=world.admin, rule=rule, days=1)
    assert none == []
