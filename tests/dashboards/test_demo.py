"""The demo company's dashboards show something on every widget, and a re-run adds nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment import demo
from dashboards.demo import seed_dashboards
from dashboards.models import Deployment, Finding, Snapshot, TeamMetrics
from okrs.demo import seed_okrs
from readmodel.models import Rollup
from tasks.demo import seed_work
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    company = demo.seed_company()
    today = timezone.localdate()
    for seed in (seed_okrs, seed_work, seed_dashboards):
        seed(workspace=company.workspace, teams=company.teams, people=company.people, today=today)
    return company


def test_demo_fills_every_materialized_table(company):
    ws = company.workspace
    assert Rollup.objects.filter(workspace=ws, kind="objective").exists()
    assert Rollup.objects.filter(workspace=ws, kind="sprint", total_points__gt=0).exists()
    assert TeamMetrics.objects.filter(workspace=ws).count() == len(company.teams)
    assert Finding.objects.filter(workspace=ws).values("code").distinct().count() >= 4
    assert Snapshot.objects.filter(workspace=ws).values("day").distinct().count() == 31


def test_every_team_gets_a_dora_tier_for_deployment_frequency(company):
    tiers = {
        m.data["dora"]["deployment_frequency"]["tier"]
        for m in TeamMetrics.objects.filter(workspace=company.workspace)
    }
    assert None not in tiers
    assert len(tiers) >= 2


def test_running_the_seeder_again_adds_no_records(company):
    before = Deployment.objects.count()
    seed_dashboards(
        workspace=company.workspace,
        teams=company.teams,
        people=company.people,
        today=timezone.localdate(),
    )
    assert Deployment.objects.count() == before


def test_leader_dashboard_of_the_demo_shows_trend_risks_and_teams(company):
    owner = company.workspace.memberships.filter(role="owner").first()
    html = (
        client_for(owner.user)
        .get(reverse("dashboards:leader", kwargs={"slug": company.workspace.slug}))
        .content.decode()
    )
    assert 'id="chart-company-trend"' in html
    assert "Table view" in html
    assert 'class="finding"' in html
    assert html.count('<span class="badge tier-') >= len(company.teams)
