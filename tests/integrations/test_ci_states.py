"""CI state (check runs/suites, workflow jobs/runs, GitLab pipelines/jobs) on linked PRs/MRs."""

from __future__ import annotations

import pytest

from integrations.models import DeliveryStatus, ExternalLink, InboundDelivery
from tests.factories.work import TaskFactory
from tests.integrations.ci_helpers import open_pr, payload, send_github, send_gitlab
from tests.integrations.conftest import body_of, post_github

SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"  # check_run__completed.json's head_sha


@pytest.fixture
def pr(github, django_capture_on_commit_callbacks) -> ExternalLink:
    open_pr(django_capture_on_commit_callbacks, github, "ENG-1", sha=SHA, branch="changes")
    return ExternalLink.objects.get()


def check_run(status: str, conclusion: str | None, at: str, pr_id: int | None = None):
    data = payload("github/check_run__completed.json")
    run = data["check_run"]
    run.update(status=status, conclusion=conclusion, completed_at=at, started_at=at)
    if pr_id is not None:
        run["pull_requests"][0]["id"] = pr_id
    return data


def test_a_failing_check_run_shows_on_the_linked_pr(github, pr, django_capture_on_commit_callbacks):
    data = check_run("completed", "failure", "2019-05-15T15:21:12Z")
    response = send_github(django_capture_on_commit_callbacks, github, "check_run", data, "c1")
    assert response.status_code == 202
    pr.refresh_from_db()
    assert pr.checks["Octocoders-linter"]["state"] == "failing"
    assert pr.checks["Octocoders-linter"]["url"] == data["check_run"]["html_url"]
    assert pr.ci_state == "failing"
    assert InboundDelivery.objects.get(delivery_id="c1").status == DeliveryStatus.PROCESSED


def test_the_pr_id_in_the_payload_finds_the_link_when_the_commit_differs(
    github, pr, django_capture_on_commit_callbacks
):
    data = check_run("completed", "success", "2019-05-15T15:21:12Z", pr_id=int(pr.external_id))
    data["check_run"]["head_sha"] = "0" * 40
    send_github(django_capture_on_commit_callbacks, github, "check_run", data, "c1")
    pr.refresh_from_db()
    assert pr.ci_state == "passing"


def test_the_latest_event_by_its_own_time_wins_not_the_latest_to_arrive(
    github, pr, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    send_github(
        capture,
        github,
        "check_run",
        check_run("completed", "failure", "2026-01-01T10:05:00Z"),
        "late",
    )
    # The "in progress" of the same run arrives after its failure: it must not hide it.
    send_github(
        capture,
        github,
        "check_run",
        check_run("in_progress", None, "2026-01-01T10:00:00Z"),
        "early",
    )
    pr.refresh_from_db()
    assert pr.checks["Octocoders-linter"]["state"] == "failing"
    # A re-run that passes later wins.
    send_github(
        capture,
        github,
        "check_run",
        check_run("completed", "success", "2026-01-01T11:00:00Z"),
        "rerun",
    )
    pr.refresh_from_db()
    assert pr.ci_state == "passing"


def test_a_duplicate_check_run_delivery_is_processed_once(
    github, pr, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    data = check_run("completed", "failure", "2019-05-15T15:21:12Z")
    send_github(capture, github, "check_run", data, "c1")
    pr.refresh_from_db()
    updated = pr.updated_at
    second = send_github(capture, github, "check_run", data, "c1")
    assert second.status_code == 200
    assert second.json()["status"] == "already processed"
    delivery = InboundDelivery.objects.get(delivery_id="c1")
    assert (delivery.attempts, delivery.redeliveries) == (1, 1)
    pr.refresh_from_db()
    assert pr.updated_at == updated


@pytest.mark.parametrize(
    "event", ["check_run", "check_suite", "workflow_job", "workflow_run", "pull_request_review"]
)
def test_a_bad_signature_on_a_ci_or_review_event_is_401_and_stores_nothing(github, pr, event):
    response = post_github(github, event, body_of({"action": "completed"}), signature="sha256=00")
    assert response.status_code == 401
    assert not InboundDelivery.objects.filter(event=event).exists()
    github.refresh_from_db()
    assert github.bad_signature_count == 1


def test_workflow_jobs_queued_running_then_passing(github, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    queued = payload("github/workflow_job__queued.json")
    job = queued["workflow_job"]
    open_pr(capture, github, "ENG-1", sha=job["head_sha"], branch="eng-1-login")
    send_github(capture, github, "workflow_job", queued, "q")
    link = ExternalLink.objects.get()
    name = f"{job['workflow_name']} / {job['name']}"
    assert link.checks[name]["state"] == "queued"
    running = payload("github/workflow_job__in_progress-with-queued-steps.json")
    running["workflow_job"].update(
        head_sha=job["head_sha"], name=job["name"], workflow_name=job["workflow_name"]
    )
    running["workflow_job"]["started_at"] = "2099-01-01T00:00:00Z"
    send_github(capture, github, "workflow_job", running, "r")
    link.refresh_from_db()
    assert link.checks[name]["state"] == "running"
    assert link.ci_state == "running"


def test_workflow_job_completed_success_is_passing(github, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    data = payload("github/workflow_job__completed-success.json")
    open_pr(capture, github, "ENG-1", sha=data["workflow_job"]["head_sha"], branch="x")
    send_github(capture, github, "workflow_job", data, "w1")
    assert ExternalLink.objects.get().ci_state == "passing"


def test_check_suite_queued_on_the_prs_branch(github, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    data = payload("github/check_suite__requested.json")
    open_pr(capture, github, "ENG-1", sha="1" * 40, branch=data["check_suite"]["head_branch"])
    send_github(capture, github, "check_suite", data, "s1")
    link = ExternalLink.objects.get()
    assert link.checks[data["check_suite"]["app"]["name"]]["state"] == "queued"


def test_workflow_run_failing_on_a_pr_is_ci_even_when_not_a_deployment(
    github, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    data = payload("github/workflow_run__completed.json")
    data["workflow_run"]["conclusion"] = "failure"
    open_pr(capture, github, "ENG-1", sha=data["workflow_run"]["head_sha"], branch="feature")
    send_github(capture, github, "workflow_run", data, "run1")
    assert ExternalLink.objects.get().ci_state == "failing"
    assert InboundDelivery.objects.get(delivery_id="run1").status == DeliveryStatus.PROCESSED


def test_a_check_on_no_linked_pr_is_ignored_with_the_reason(
    github, django_capture_on_commit_callbacks
):
    data = check_run("completed", "failure", "2019-05-15T15:21:12Z")
    send_github(django_capture_on_commit_callbacks, github, "check_run", data, "c1")
    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.IGNORED
    assert "No linked pull/merge request" in delivery.error


# --- GitLab -------------------------------------------------------------------------------


@pytest.fixture
def mr(gitlab, django_capture_on_commit_callbacks) -> ExternalLink:
    data = payload("gitlab/merge_request_hook__opened.json")
    data["object_attributes"]["title"] = "ENG-1 Fix the login"
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Merge Request Hook", data, "mr-open")
    return ExternalLink.objects.get()


def test_a_gitlab_pipeline_on_the_mr_shows_its_state(
    gitlab, mr, django_capture_on_commit_callbacks
):
    data = payload("gitlab/pipeline_hook__docs_example.json")
    data["merge_request"]["id"] = int(mr.external_id)
    data["object_attributes"]["status"] = "failed"
    response = send_gitlab(django_capture_on_commit_callbacks, gitlab, "Pipeline Hook", data, "p1")
    assert response.status_code == 202
    mr.refresh_from_db()
    assert mr.checks["pipeline"] == {
        "state": "failing",
        "url": data["object_attributes"]["url"],
        "at": "2016-08-12T15:26:29+00:00",
        "event": "Pipeline Hook",
    }
    again = send_gitlab(django_capture_on_commit_callbacks, gitlab, "Pipeline Hook", data, "p1")
    assert again.status_code == 200
    assert InboundDelivery.objects.filter(event="Pipeline Hook").count() == 1


def test_a_legacy_gitlab_pipeline_finds_the_mr_by_its_branch(
    gitlab, mr, django_capture_on_commit_callbacks
):
    data = payload("gitlab/pipeline_hook__success_legacy_2016.json")
    data["object_attributes"]["ref"] = mr.branch
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Pipeline Hook", data, "p1")
    mr.refresh_from_db()
    assert mr.ci_state == "passing"


def test_a_failed_gitlab_job_on_the_mr_branch(gitlab, mr, django_capture_on_commit_callbacks):
    data = payload("gitlab/job_hook__failed_handwritten.json")
    data["ref"] = mr.branch
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Job Hook", data, "j1")
    mr.refresh_from_db()
    assert mr.checks["test / rspec"]["state"] == "failing"
    assert mr.checks["test / rspec"]["url"].endswith("/-/jobs/1977")


@pytest.mark.parametrize(
    ("event", "name"),
    [
        ("Pipeline Hook", "pipeline_hook__docs_example"),
        ("Job Hook", "job_hook__failed_handwritten"),
    ],
)
def test_a_gitlab_ci_event_with_a_wrong_token_is_401(
    gitlab, mr, django_capture_on_commit_callbacks, event, name
):
    data = payload(f"gitlab/{name}.json")
    capture = django_capture_on_commit_callbacks
    response = send_gitlab(capture, gitlab, event, data, "p1", token="nope")
    assert response.status_code == 401
    assert not InboundDelivery.objects.filter(event=event).exists()


def test_a_duplicate_gitlab_job_is_processed_once(gitlab, mr, django_capture_on_commit_callbacks):
    data = payload("gitlab/job_hook__failed_handwritten.json")
    data["ref"] = mr.branch
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Job Hook", data, "j1")
    again = send_gitlab(django_capture_on_commit_callbacks, gitlab, "Job Hook", data, "j1")
    assert again.status_code == 200
    delivery = InboundDelivery.objects.get(event="Job Hook")
    assert (delivery.status, delivery.attempts, delivery.redeliveries) == ("processed", 1, 1)


def test_the_task_page_shows_the_ci_state_and_checks(
    world, gitlab, mr, admin_client, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team)
    mr.task_key = task.key
    mr.checks = {"pipeline": {"state": "failing", "url": "https://ci.example/p/1", "at": "x"}}
    mr.save()
    page = admin_client.get(f"/w/{world.workspace.slug}/tasks/{task.key}/")
    html = page.content.decode()
    assert 'data-ci="failing"' in html
    assert 'href="https://ci.example/p/1"' in html
