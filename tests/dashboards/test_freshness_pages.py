"""Fresh findings on the pages and in the API: the next load shows a committed change, with the
time the findings and team metrics were computed ("as of")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from alignment.celery import app as celery_app
from dashboards import freshness
from dashboards.models import Finding, RefreshPending
from okrs import services as okr_services
from roadmaps import services as roadmap_services
from tasks import services as task_services
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan
from tests.dashboards.freshness_helpers import full_recompute, has_finding
from tests.factories import TeamFactory
from tests.factories.work import RoadmapItemFactory

pytestmark = pytest.mark.django_db

NO_WORK = "has no roadmap work linked"


def leader(client, plan: Plan) -> str:
    response = client.get(reverse("dashboards:leader", kwargs={"slug": plan.world.workspace.slug}))
    assert response.status_code == 200
    return response.content.decode()


def team_page(client, plan: Plan) -> str:
    url = reverse(
        "dashboards:team", kwargs={"slug": plan.world.workspace.slug, "team_id": plan.team.pk}
    )
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def findings_api(client, plan: Plan) -> dict:
    response = client.get(f"/api/v1/workspaces/{plan.world.workspace.slug}/findings/")
    assert response.status_code == 200
    return response.json()


def blocked_findings(plan: Plan) -> set[int]:
    """The tasks named by findings about blocked work (the subject or the evidence)."""
    tasks: set[int] = set()
    for finding in Finding.objects.filter(workspace=plan.world.workspace, code__startswith="block"):
        records = [[finding.subject_kind, finding.subject_id], *finding.evidence]
        tasks |= {int(i) for kind, i in records if kind == "task"}
    return tasks


def test_linking_an_item_to_the_kr_clears_no_roadmap_work_on_the_next_load(
    plan: Plan, member_client, django_capture_on_commit_callbacks
):
    full_recompute(plan.world.workspace)
    assert NO_WORK in leader(member_client, plan)

    with django_capture_on_commit_callbacks(execute=True):
        roadmap_services.roadmap_item_link_key_result(
            actor=plan.world.member, item=plan.item_loose, key_result=plan.manual
        )

    html = leader(member_client, plan)
    assert NO_WORK not in html
    assert not has_finding(plan, "objective_without_work", plan.team_objective.pk)
    assert "Findings as of" in html


def test_pages_say_when_findings_and_team_metrics_were_computed(plan: Plan, member_client):
    computed = datetime(2026, 5, 13, 9, 45, tzinfo=UTC)
    full_recompute(plan.world.workspace)
    freshness.refresh_now(plan.world.workspace.pk, now=computed)

    assert "Findings as of <time" in leader(member_client, plan)
    assert 'datetime="2026-05-13T09:45:00+00:00">2026-05-13 09:45</time>' in leader(
        member_client, plan
    )
    html = team_page(member_client, plan)
    assert "Team metrics as of <time" in html
    assert html.count(">2026-05-13 09:45</time>") == 2  # team metrics, and the team's findings


def test_before_the_first_refresh_the_page_says_not_computed_yet(plan: Plan, member_client):
    assert "Findings as of — not computed yet" in leader(member_client, plan)
    assert "Team metrics as of — not computed yet" in team_page(member_client, plan)


def test_the_findings_api_carries_as_of_and_whether_a_refresh_waits(
    plan: Plan, member_api, django_capture_on_commit_callbacks
):
    computed = datetime(2026, 5, 13, 9, 45, tzinfo=UTC)
    freshness.refresh_now(plan.world.workspace.pk, now=computed)
    body = findings_api(member_api, plan)
    assert (body["as_of"], body["refreshing"]) == ("2026-05-13T09:45:00Z", False)

    celery_app.conf.task_always_eager = False  # production: the read does not wait
    with django_capture_on_commit_callbacks(execute=False):
        roadmap_services.roadmap_item_link_key_result(
            actor=plan.world.member, item=plan.item_loose, key_result=plan.manual
        )
    body = findings_api(member_api, plan)
    assert (body["as_of"], body["refreshing"]) == ("2026-05-13T09:45:00Z", True)


def test_a_dependency_on_another_teams_work_shows_as_blocked_on_the_next_read(
    plan: Plan, django_capture_on_commit_callbacks
):
    other = TeamFactory(workspace=plan.world.workspace, name="Platform", key="PLT")
    blocker = plan.task(item=None, estimate="3", category=C.STARTED, team=other)
    waiting = plan.task(item=plan.item_a, estimate="2", category=C.UNSTARTED, sprint=plan.sprint)
    full_recompute(plan.world.workspace)
    assert not blocked_findings(plan)

    with django_capture_on_commit_callbacks(execute=True):
        dependency = task_services.task_dependency_add(
            actor=plan.world.member, blocking=blocker, blocked=waiting
        )
    freshness.ensure_fresh(plan.world.workspace)
    assert blocked_findings(plan) == {blocker.pk, waiting.pk}

    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_dependency_remove(actor=plan.world.member, dependency=dependency)
    freshness.ensure_fresh(plan.world.workspace)
    assert not blocked_findings(plan)


def test_moving_a_period_out_of_today_clears_its_objectives_findings_on_the_next_read(
    plan: Plan, django_capture_on_commit_callbacks
):
    full_recompute(plan.world.workspace)
    assert has_finding(plan, "objective_without_work", plan.team_objective.pk)
    today = timezone.localdate()

    with django_capture_on_commit_callbacks(execute=True):
        okr_services.period_update(
            actor=plan.world.admin,
            period=plan.period,
            start=today + timedelta(days=10),
            end=today + timedelta(days=100),
        )
    freshness.ensure_fresh(plan.world.workspace)
    assert not has_finding(plan, "objective_without_work", plan.team_objective.pk)


def test_item_dependencies_and_sprint_changes_mark_the_findings_stale(plan: Plan):
    ws = plan.world.workspace
    later = RoadmapItemFactory(roadmap=plan.item_a.roadmap, title="Phase two")
    roadmap_services.roadmap_item_dependency_add(
        actor=plan.world.member, blocking=plan.item_a, blocked=later
    )
    assert set(RefreshPending.objects.filter(workspace=ws).values_list("target", "team_id")) == {
        ("findings", 0)
    }
    task_services.sprint_update(actor=plan.world.member, sprint=plan.sprint, goal="Ship billing")
    assert ("team_metrics", plan.team.pk) in set(
        RefreshPending.objects.filter(workspace=ws).values_list("target", "team_id")
    )


def test_a_locked_database_during_the_refresh_still_shows_the_page_as_updating(
    plan: Plan, member_client
):
    freshness.refresh_now(plan.world.workspace.pk)
    roadmap_services.roadmap_item_link_key_result(
        actor=plan.world.member, item=plan.item_loose, key_result=plan.manual
    )
    locked = mock.patch.object(
        freshness, "drain", side_effect=OperationalError("database is locked")
    )
    with locked:
        html = leader(member_client, plan)
    assert " · updating." in html
    assert RefreshPending.objects.filter(workspace=plan.world.workspace).exists()
