"""GitHub and GitLab deployments → Deployment/Incident rows → the team's DORA numbers.

Every delivery goes through the real endpoint with a real HMAC signature (GitHub) or token
(GitLab); processing and the metrics refresh run eagerly on commit. The shared payloads are
changed only where a test needs it: ids, timestamps (moved into the metrics window), the
repository, a state, and which commit names a task.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dashboards import freshness
from dashboards.models import Deployment, Incident, TeamMetrics
from integrations.models import DeliveryStatus, ExternalLink, InboundDelivery, Integration
from tests.conftest import forget_cached
from tests.factories.core import TeamFactory
from tests.integrations.conftest import GITLAB_TOKEN, body_of, load_fixture, post_github

SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"  # the deployed commit in the GitHub payloads
# A fixed hour three days back: inside the 30-day metrics window, whole seconds like GitHub's.
T0 = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def gitlab_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S +0000")


def configure(integration: Integration, **deployments: Any) -> None:
    integration.config = {**integration.config, "deployments": deployments}
    integration.save(update_fields=["config"])


def send(capture, post, *args: Any, **kwargs: Any) -> Any:
    # The metrics refresh is throttled to one per minute per workspace (its delayed job then
    # sees every change of that minute); eager tests run it at once, so each step clears it.
    forget_cached()
    with capture(execute=True):
        response = post(*args, **kwargs)
    assert response.status_code in (200, 202), response.content
    return response


def post_gitlab(integration: Integration, event: str, body: bytes, *, key: str) -> Any:
    return Client().post(
        f"/hooks/gitlab/{integration.uuid}/",
        body,
        content_type="application/json",
        HTTP_X_GITLAB_EVENT=event,
        HTTP_X_GITLAB_TOKEN=GITLAB_TOKEN,
        HTTP_IDEMPOTENCY_KEY=key,
    )


def dora(team: Any) -> dict[str, Any]:
    freshness.ensure_fresh(team.workspace)  # what the dashboards do before they read (embedded)
    data = TeamMetrics.objects.get(team=team).data["dora"]
    return {
        "deployments": data["deployments"],
        "frequency": data["deployment_frequency"]["value"],
        "failure_rate": data["change_failure_rate"]["value"],
        "restore_hours": data["time_to_restore"]["value"],
        "lead_hours": data["lead_time"]["value"],
    }


def delivery(delivery_id: str) -> InboundDelivery:
    return InboundDelivery.objects.get(delivery_id=delivery_id)


# ---- GitHub deployment + deployment_status -------------------------------------------------


def github_status(fixtures_dir, *, deployment_id: int, state: str, at: datetime) -> bytes:
    payload = load_fixture(fixtures_dir, "github/deployment_status__created.json")
    payload["deployment"].update(id=deployment_id, created_at=iso(at), updated_at=iso(at))
    payload["deployment_status"].update(
        id=deployment_id * 10, state=state, created_at=iso(at), updated_at=iso(at)
    )
    return body_of(payload)


def store_pr_and_commit(fixtures_dir, github, capture) -> None:
    """What the PR and push handlers stored earlier: a PR and the deployed commit naming ENG-1,
    first seen two hours and one hour before T0."""
    pr = load_fixture(fixtures_dir, "github/pull_request__opened.json")
    pr["pull_request"]["title"] = "ENG-1 Fix the login redirect"
    send(capture, post_github, github, "pull_request", body_of(pr), delivery="pr-1")
    push = load_fixture(fixtures_dir, "github/push__with-new-branch.json")
    push["commits"][0].update(id=SHA, message="ENG-1 Fix the login redirect")
    send(capture, post_github, github, "push", body_of(push), delivery="push-1")
    links = ExternalLink.objects.filter(workspace=github.workspace)
    links.filter(kind="pull_request").update(created_at=T0 - timedelta(hours=2))
    links.filter(kind="commit").update(created_at=T0 - timedelta(hours=1))


def test_github_deployments_feed_dora_and_redelivery_changes_nothing(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    store_pr_and_commit(fixtures_dir, github, capture)

    created = load_fixture(fixtures_dir, "github/deployment__created.json")
    created["deployment"].update(created_at=iso(T0), updated_at=iso(T0))
    send(capture, post_github, github, "deployment", body_of(created), delivery="dep-1")
    assert delivery("dep-1").status == DeliveryStatus.PROCESSED
    assert not Deployment.objects.exists()  # requested, not deployed yet

    first = github_status(fixtures_dir, deployment_id=145988746, state="success", at=T0)
    send(capture, post_github, github, "deployment_status", first, delivery="st-1")
    deployment = Deployment.objects.get()
    assert (deployment.team, deployment.deployed_at, deployment.is_failure) == (
        world.team,
        T0,
        False,
    )
    assert (deployment.source, deployment.external_id) == ("github", "deployment:145988746")
    assert (deployment.reference, deployment.environment) == (SHA, "production")
    assert deployment.committed_at == T0 - timedelta(hours=2)  # the PR of ENG-1
    assert dora(world.team)["deployments"] == 1  # metrics refreshed after the commit

    broken_at = T0 + timedelta(days=1)
    failed = github_status(fixtures_dir, deployment_id=145988747, state="failure", at=broken_at)
    send(capture, post_github, github, "deployment_status", failed, delivery="st-2")
    failure = Deployment.objects.get(external_id="deployment:145988747")
    assert (failure.is_failure, failure.deployed_at) == (True, broken_at)
    incident = Incident.objects.get()
    assert (incident.deployment, incident.started_at, incident.resolved_at) == (
        failure,
        broken_at,
        None,
    )

    fixed_at = broken_at + timedelta(minutes=30)
    fixed = github_status(fixtures_dir, deployment_id=145988748, state="success", at=fixed_at)
    send(capture, post_github, github, "deployment_status", fixed, delivery="st-3")
    incident.refresh_from_db()
    assert incident.resolved_at == fixed_at

    expected = {
        "deployments": 3,
        "frequency": round(3 / 30, 4),
        "failure_rate": round(1 / 3, 4),
        "restore_hours": 0.5,
        # 2h (PR → T0); 25h and 25.5h (the deployed commit, seen at T0 − 1h → each deploy).
        "lead_hours": 25.0,
    }
    assert dora(world.team) == expected

    # The same deliveries again, and a second "success" for the first deployment under a
    # new delivery id: no new rows, the same numbers.
    for delivery_id, body in (("st-1", first), ("st-2", failed), ("st-3", fixed)):
        response = send(
            capture, post_github, github, "deployment_status", body, delivery=delivery_id
        )
        assert response.json()["status"] == "already processed"
    send(capture, post_github, github, "deployment_status", first, delivery="st-1-again")
    assert delivery("st-1-again").status == DeliveryStatus.PROCESSED
    send(capture, post_github, github, "deployment_status", failed, delivery="st-2-again")
    assert (Deployment.objects.count(), Incident.objects.count()) == (3, 1)
    incident.refresh_from_db()
    assert incident.resolved_at == fixed_at
    assert dora(world.team) == expected


def test_failure_with_nothing_deployed_before_is_ignored_with_its_reason(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    configure(github, repositories={"Codertocat/Hello-World": "ENG"})
    failed = github_status(fixtures_dir, deployment_id=145988746, state="error", at=T0)
    send(django_capture_on_commit_callbacks, post_github, github, "deployment_status", failed)
    stored = InboundDelivery.objects.get()
    assert stored.status == DeliveryStatus.IGNORED
    assert "No earlier successful deployment to production for team ENG" in stored.error
    assert not Deployment.objects.exists()
    assert not Incident.objects.exists()


def test_deployment_with_no_team_is_ignored_and_the_log_says_why(
    world, world_b, github, fixtures_dir, admin_client, django_capture_on_commit_callbacks
):
    # Another workspace knows the deployed commit as ENG-1: that must not leak into this one.
    ExternalLink.objects.create(
        workspace=world_b.workspace, provider="github", kind="commit", external_id=SHA,
        task_key="ENG-1",
    )  # fmt: skip
    body = (fixtures_dir / "github" / "deployment_status__created.json").read_bytes()
    send(django_capture_on_commit_callbacks, post_github, github, "deployment_status", body)
    stored = InboundDelivery.objects.get(workspace=world.workspace)
    assert stored.status == DeliveryStatus.IGNORED
    assert stored.error.startswith("No team for this deployment of Codertocat/Hello-World")
    assert not Deployment.objects.exists()
    page = admin_client.get(
        reverse("integrations:deliveries", args=[world.workspace.slug, github.pk])
    )
    assert "No team for this deployment" in page.content.decode()


def test_repository_mapped_to_a_missing_team_is_ignored(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    configure(github, repositories={"codertocat/hello-world": "NOPE"})
    body = (fixtures_dir / "github" / "deployment_status__created.json").read_bytes()
    send(django_capture_on_commit_callbacks, post_github, github, "deployment_status", body)
    assert "mapped to team 'NOPE', which does not exist" in InboundDelivery.objects.get().error


def test_staging_is_ignored_and_the_environment_names_are_configurable(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    configure(github, repositories={"Codertocat/Hello-World": "ENG"})
    payload = load_fixture(fixtures_dir, "github/deployment_status__created.json")
    payload["deployment"]["environment"] = payload["deployment_status"]["environment"] = "live"
    for d in (payload["deployment"], payload["deployment_status"]):
        d.update(created_at=iso(T0), updated_at=iso(T0))
    send(capture, post_github, github, "deployment_status", body_of(payload), delivery="a")
    assert delivery("a").error == (
        "Environment 'live' is not production for this integration (counted: production, prod)."
    )
    configure(github, repositories={"Codertocat/Hello-World": "ENG"}, environments=["Live"])
    send(capture, post_github, github, "deployment_status", body_of(payload), delivery="b")
    assert Deployment.objects.get().environment == "live"


# ---- GitHub workflow_run -------------------------------------------------------------------


def workflow_run(fixtures_dir, *, run_id: int, conclusion: str, shift: timedelta) -> bytes:
    """The shared run (workflow "test", finished 102 s after its head commit), moved by
    `shift` into the metrics window."""
    payload = load_fixture(fixtures_dir, "github/workflow_run__completed.json")
    run = payload["workflow_run"]
    for name in ("created_at", "updated_at", "run_started_at"):
        run[name] = iso(datetime.fromisoformat(run[name]) + shift)
    commit = run["head_commit"]
    commit["timestamp"] = iso(datetime.fromisoformat(commit["timestamp"]) + shift)
    run.update(id=run_id, conclusion=conclusion)
    return body_of(payload)


def test_workflow_runs_named_as_deploy_workflows_count(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    shift = T0 - datetime(2020, 10, 5, 16, 33, 49, tzinfo=UTC)  # the run's finish → T0
    ok = workflow_run(fixtures_dir, run_id=289782451, conclusion="success", shift=shift)
    configure(github, repositories={"octo-org/octo-repo": "ENG"})
    send(capture, post_github, github, "workflow_run", ok, delivery="r1")
    assert delivery("r1").error == "Workflow 'test' is not a deploy workflow (names with: deploy)."

    configure(github, repositories={"octo-org/octo-repo": "ENG"}, workflows=["deploy", "test"])
    send(capture, post_github, github, "workflow_run", ok, delivery="r1-again")
    deployment = Deployment.objects.get()
    assert (deployment.team, deployment.deployed_at, deployment.external_id) == (
        world.team,
        T0,
        "run:289782451",
    )
    assert deployment.committed_at == T0 - timedelta(seconds=102)  # the head commit's time

    failed_shift = shift + timedelta(days=1)
    failed = workflow_run(fixtures_dir, run_id=289782452, conclusion="failure", shift=failed_shift)
    send(capture, post_github, github, "workflow_run", failed, delivery="r2")
    assert Incident.objects.get().started_at == T0 + timedelta(days=1)
    # Re-run of the failed run (same run id) succeeds two hours later: production is back.
    rerun = workflow_run(
        fixtures_dir,
        run_id=289782452,
        conclusion="success",
        shift=failed_shift + timedelta(hours=2),
    )
    send(capture, post_github, github, "workflow_run", rerun, delivery="r2-rerun")
    assert Incident.objects.get().resolved_at == T0 + timedelta(days=1, hours=2)
    assert Deployment.objects.count() == 2
    assert dora(world.team) == {
        "deployments": 2,
        "frequency": round(2 / 30, 4),
        "failure_rate": 0.5,
        "restore_hours": 2.0,
        "lead_hours": round(102 / 3600, 4),
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"head_branch": "feature"}, "Branch 'feature' is not the default branch 'master'."),
        ({"conclusion": "cancelled"}, "A run that ended 'cancelled' deployed nothing."),
    ],
)
def test_workflow_runs_off_the_default_branch_or_cancelled_are_ignored(
    change, reason, world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    configure(github, repositories={"octo-org/octo-repo": "ENG"}, workflows=["test"])
    payload = load_fixture(fixtures_dir, "github/workflow_run__completed.json")
    payload["workflow_run"].update(change)
    send(django_capture_on_commit_callbacks, post_github, github, "workflow_run", body_of(payload))
    stored = InboundDelivery.objects.get()
    assert (stored.status, stored.error) == (DeliveryStatus.IGNORED, reason)


@pytest.mark.parametrize("run_id", [None, 0, ""])
def test_a_workflow_run_without_an_id_is_ignored_and_never_collides(
    run_id, world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    configure(github, repositories={"octo-org/octo-repo": "ENG"}, workflows=["test"])
    capture = django_capture_on_commit_callbacks
    for delivery_id in ("no-id-1", "no-id-2"):  # two different runs, neither names its id
        payload = load_fixture(fixtures_dir, "github/workflow_run__completed.json")
        payload["workflow_run"]["id"] = run_id
        send(capture, post_github, github, "workflow_run", body_of(payload), delivery=delivery_id)
        stored = delivery(delivery_id)
        assert (stored.status, stored.error) == (
            DeliveryStatus.IGNORED,
            "The workflow run has no id.",
        )
    assert not Deployment.objects.exists()


# ---- GitLab Deployment Hook ----------------------------------------------------------------


def gitlab_deployment(fixtures_dir, variant: str, at: datetime, **changes: Any) -> bytes:
    payload = load_fixture(fixtures_dir, f"gitlab/deployment_hook__{variant}.json")
    payload.update(status_changed_at=gitlab_time(at), **changes)
    return body_of(payload)


def test_gitlab_deployment_hooks_feed_dora_for_the_default_team(
    world, gitlab, fixtures_dir, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    configure(gitlab, default_team="eng")
    hook = "Deployment Hook"
    production = {"environment": "production", "environment_tier": "production"}

    running = gitlab_deployment(fixtures_dir, "running", T0 - timedelta(minutes=5))
    send(capture, post_gitlab, gitlab, hook, running, key="k-running")
    assert delivery("k-running").status == DeliveryStatus.PROCESSED
    failed = gitlab_deployment(fixtures_dir, "failed", T0 + timedelta(days=1))
    send(capture, post_gitlab, gitlab, hook, failed, key="k-failed")
    assert delivery("k-failed").status == DeliveryStatus.IGNORED  # nothing ran before it
    staging = gitlab_deployment(fixtures_dir, "success", T0)
    send(capture, post_gitlab, gitlab, hook, staging, key="k-staging")
    assert delivery("k-staging").error.startswith("Environment 'staging' is not production")
    assert not Deployment.objects.exists()

    # The running deployment succeeded; the failed one then broke production; a third fixed it.
    success = gitlab_deployment(fixtures_dir, "success", T0, deployment_id=988572802, **production)
    send(capture, post_gitlab, gitlab, hook, success, key="k-success")
    first = Deployment.objects.get()
    assert (first.team, first.deployed_at, first.external_id) == (
        world.team,
        T0,
        "deployment:988572802",
    )
    assert first.reference == "279484c09fbe69ededfced8c1bb6e6d24616b468"  # from commit_url
    send(capture, post_gitlab, gitlab, hook, failed, key="k-failed-retried")
    assert Deployment.objects.get(external_id="deployment:988604916").is_failure
    fixed_at = T0 + timedelta(days=1, hours=3)
    fixed = gitlab_deployment(fixtures_dir, "success", fixed_at, deployment_id=16, **production)
    send(capture, post_gitlab, gitlab, hook, fixed, key="k-fixed")
    incident = Incident.objects.get()
    assert (incident.started_at, incident.resolved_at) == (T0 + timedelta(days=1), fixed_at)
    expected = {
        "deployments": 3,
        "frequency": 0.1,
        "failure_rate": round(1 / 3, 4),
        "restore_hours": 3.0,
        "lead_hours": None,  # no commit times in GitLab's hook and no stored links
    }
    assert dora(world.team) == expected

    response = send(capture, post_gitlab, gitlab, hook, fixed, key="k-fixed")
    assert response.json()["status"] == "already processed"
    send(capture, post_gitlab, gitlab, hook, success, key="k-success-2")
    send(capture, post_gitlab, gitlab, hook, failed, key="k-failed-3")
    assert (Deployment.objects.count(), Incident.objects.count()) == (3, 1)
    assert dora(world.team) == expected


def test_gitlab_canceled_deployment_is_ignored(
    world, gitlab, fixtures_dir, django_capture_on_commit_callbacks
):
    configure(gitlab, default_team="ENG")
    body = gitlab_deployment(fixtures_dir, "running", T0, status="canceled")
    send(django_capture_on_commit_callbacks, post_gitlab, gitlab, "Deployment Hook", body, key="k")
    assert (
        InboundDelivery.objects.get().error == "A deployment that is 'canceled' deployed nothing."
    )


# ---- the settings on the integration's page ------------------------------------------------


def edit_url(world, integration: Integration) -> str:
    return reverse("integrations:integration_edit", args=[world.workspace.slug, integration.pk])


def test_the_page_stores_deployment_settings_that_the_handlers_then_use(
    world, github, admin_client, fixtures_dir, django_capture_on_commit_callbacks
):
    form = {
        "name": github.name,
        "active": "on",
        "deploy_environments": "Live, production",
        "deploy_workflows": "release",
        "deploy_repositories": "Codertocat/Hello-World = eng\n\n",
        "deploy_team": "",
    }
    assert admin_client.post(edit_url(world, github), form).status_code == 303
    github.refresh_from_db()
    assert github.config["deployments"] == {
        "environments": ["Live", "production"],
        "workflows": ["release"],
        "repositories": {"Codertocat/Hello-World": "ENG"},
    }
    page = admin_client.get(edit_url(world, github)).content.decode()
    assert "Codertocat/Hello-World = ENG" in page

    payload = load_fixture(fixtures_dir, "github/deployment_status__created.json")
    payload["deployment"]["environment"] = payload["deployment_status"]["environment"] = "live"
    for d in (payload["deployment"], payload["deployment_status"]):
        d.update(created_at=iso(T0), updated_at=iso(T0))
    send(
        django_capture_on_commit_callbacks,
        post_github,
        github,
        "deployment_status",
        body_of(payload),
    )
    assert Deployment.objects.get().team == world.team


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deploy_repositories": "acme/api = NOPE"}, "Line 1: no team NOPE."),
        ({"deploy_repositories": "acme/api"}, "Line 1: write owner/repo = TEAM."),
        ({"deploy_team": "OPS"}, "There is no team OPS."),
    ],
)
def test_the_page_refuses_settings_naming_unknown_teams(
    changes, message, world, world_b, github, admin_client
):
    TeamFactory(workspace=world_b.workspace, key="OPS", name="Ops")  # another workspace's team
    form = {"name": github.name, "active": "on", **changes}
    response = admin_client.post(edit_url(world, github), form)
    assert response.status_code == 422
    assert message in response.content.decode()
    github.refresh_from_db()
    assert "deployments" not in github.config
