"""Dashboards API: materialized reads, and deployments/incidents written through services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alignment.models import AuditEvent
from dashboards import drift, rollups
from dashboards.models import Deployment, Incident
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan

pytestmark = pytest.mark.django_db


def api(plan: Plan, path: str) -> str:
    return f"/api/v1/workspaces/{plan.world.workspace.slug}/{path}"


def test_rollups_are_listed_by_kind_and_node(plan: Plan, viewer_api):
    plan.task(item=plan.item_a, estimate="2", category=C.DONE)
    rollups.recompute_all(plan.world.workspace)
    body = viewer_api.get(api(plan, f"rollups/?kind=roadmap_item&node_id={plan.item_a.pk}")).json()
    [row] = body["results"]
    assert (row["progress"], row["done_points"], row["basis"], row["status"]) == (
        1.0,
        2.0,
        "points",
        "on_track",
    )


def test_an_unknown_rollup_kind_is_refused_with_the_choices(plan: Plan, viewer_api):
    response = viewer_api.get(api(plan, "rollups/?kind=galaxy"))
    assert response.status_code == 400
    assert "objective" in response.json()["error"]["fields"]["kind"][0]


def test_findings_are_listed_with_their_evidence(plan: Plan, viewer_api):
    loose = plan.task(item=plan.item_loose, estimate="1", category=C.UNSTARTED)
    rollups.recompute_all(plan.world.workspace)
    drift.refresh_findings(plan.world.workspace)
    body = viewer_api.get(api(plan, "findings/?code=item_overdue")).json()
    assert [(f["subject_id"], f["evidence"]) for f in body["results"]] == [
        (plan.item_loose.pk, [["task", loose.pk]])
    ]


def test_member_records_a_deployment_with_an_audit_event(plan: Plan, member_api):
    now = timezone.now()
    response = member_api.post(
        api(plan, "deployments/"),
        {
            "team": plan.team.pk,
            "deployed_at": (now - timedelta(hours=1)).isoformat(),
            "committed_at": (now - timedelta(hours=3)).isoformat(),
            "reference": "v2.0.0",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    deployment = Deployment.objects.get(pk=response.json()["id"])
    assert (deployment.reference, deployment.team_id) == ("v2.0.0", plan.team.pk)
    assert AuditEvent.objects.filter(verb="deployment.created").count() == 1


def test_a_deployment_for_another_workspaces_team_is_refused(plan: Plan, member_api, world_b):
    response = member_api.post(
        api(plan, "deployments/"),
        {"team": world_b.team.pk, "deployed_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "team" in response.json()["error"]["fields"]
    assert not Deployment.objects.exists()


def test_a_commit_after_the_deployment_is_refused(plan: Plan, member_api):
    now = timezone.now()
    response = member_api.post(
        api(plan, "deployments/"),
        {
            "team": plan.team.pk,
            "deployed_at": (now - timedelta(hours=2)).isoformat(),
            "committed_at": (now - timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Deployment.objects.exists()


def test_viewer_cannot_record_an_incident(plan: Plan, viewer_api):
    response = viewer_api.post(
        api(plan, "incidents/"),
        {"team": plan.team.pk, "title": "Down", "started_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_resolving_an_incident_records_the_restore_time(plan: Plan, member_api):
    started = timezone.now() - timedelta(hours=2)
    incident = Incident.objects.create(
        workspace=plan.world.workspace, team=plan.team, title="Down", started_at=started
    )
    resolved = started + timedelta(minutes=40)
    response = member_api.patch(
        api(plan, f"incidents/{incident.pk}/"),
        {"resolved_at": resolved.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.resolved_at == resolved


def test_only_admins_delete_deployments(plan: Plan, member_api, admin_api):
    deployment = Deployment.objects.create(
        workspace=plan.world.workspace, team=plan.team, deployed_at=timezone.now()
    )
    assert member_api.delete(api(plan, f"deployments/{deployment.pk}/")).status_code == 403
    assert Deployment.objects.filter(pk=deployment.pk).exists()
    assert admin_api.delete(api(plan, f"deployments/{deployment.pk}/")).status_code == 204
    assert not Deployment.objects.filter(pk=deployment.pk).exists()


def test_a_deployment_patch_without_fields_changes_nothing(plan: Plan, member_api):
    deployment = Deployment.objects.create(
        workspace=plan.world.workspace, team=plan.team, deployed_at=timezone.now(), is_failure=True
    )
    url = api(plan, f"deployments/{deployment.pk}/")

    unchanged = member_api.patch(url, {}, content_type="application/json")
    assert unchanged.status_code == 200
    assert unchanged.json()["is_failure"] is True
    assert not AuditEvent.objects.filter(verb__startswith="deployment.").exists()

    changed = member_api.patch(url, {"is_failure": False}, content_type="application/json")
    assert changed.json()["is_failure"] is False
    bad = member_api.patch(url, {"is_failure": "perhaps"}, content_type="application/json")
    assert bad.status_code == 400
