"""Deployment settings and task keys written before a team's key changed (ENG → PLAT) still
put deployments on that team, through the real endpoints."""

from __future__ import annotations

from datetime import timedelta

from alignment import services
from dashboards.models import Deployment
from integrations.models import DeliveryStatus, InboundDelivery
from tests.integrations.conftest import body_of, load_fixture, post_github
from tests.integrations.test_deployments import (
    T0,
    configure,
    edit_url,
    github_status,
    send,
    store_pr_and_commit,
)


def rename_to_plat(world) -> None:
    services.team_update(actor=world.admin, team=world.team, name=world.team.name, key="PLAT")


def deploy(capture, fixtures_dir, github, delivery: str = "s1") -> InboundDelivery:
    body = github_status(fixtures_dir, deployment_id=145988746, state="success", at=T0)
    send(capture, post_github, github, "deployment_status", body, delivery=delivery)
    return InboundDelivery.objects.get(delivery_id=delivery)


def test_a_repository_mapped_to_the_old_key_still_deploys_for_the_team(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    configure(github, repositories={"Codertocat/Hello-World": "ENG"})
    rename_to_plat(world)
    stored = deploy(django_capture_on_commit_callbacks, fixtures_dir, github)
    assert (stored.status, stored.error) == (DeliveryStatus.PROCESSED, "")
    assert Deployment.objects.get().team == world.team


def test_a_default_team_by_its_old_key_still_receives_deployments(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    configure(github, default_team="ENG")
    rename_to_plat(world)
    deploy(django_capture_on_commit_callbacks, fixtures_dir, github)
    assert Deployment.objects.get().team == world.team


def test_commits_linked_under_the_old_key_pick_the_renamed_team(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    store_pr_and_commit(fixtures_dir, github, django_capture_on_commit_callbacks)  # ENG-1
    rename_to_plat(world)
    deploy(django_capture_on_commit_callbacks, fixtures_dir, github)
    deployment = Deployment.objects.get()
    assert deployment.team == world.team
    # The PR linked as ENG-1 two hours before is where the change began.
    assert deployment.committed_at == T0 - timedelta(hours=2)


def test_a_deployment_naming_the_old_key_in_its_ref_picks_the_renamed_team(
    world, github, fixtures_dir, django_capture_on_commit_callbacks
):
    rename_to_plat(world)
    payload = load_fixture(fixtures_dir, "github/deployment_status__created.json")
    payload["deployment"].update(ref="eng-1-login", created_at="2020-01-01T00:00:00Z")
    send(
        django_capture_on_commit_callbacks,
        post_github,
        github,
        "deployment_status",
        body_of(payload),
        delivery="ref",
    )
    assert Deployment.objects.get().team == world.team


def test_the_settings_page_takes_an_old_key_and_stores_the_current_one(world, github, admin_client):
    rename_to_plat(world)
    form = {
        "name": github.name,
        "active": "on",
        "deploy_repositories": "acme/api = eng",
        "deploy_team": "ENG",
    }
    assert admin_client.post(edit_url(world, github), form).status_code == 303
    github.refresh_from_db()
    assert github.config["deployments"] == {
        "repositories": {"acme/api": "PLAT"},
        "default_team": "PLAT",
    }


def test_settings_stored_before_the_rename_show_the_current_key(world, github, admin_client):
    configure(github, repositories={"acme/api": "ENG"}, default_team="ENG")
    rename_to_plat(world)
    page = admin_client.get(edit_url(world, github)).content.decode()
    assert "acme/api = PLAT" in page
    assert 'value="PLAT"' in page
