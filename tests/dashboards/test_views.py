"""Dashboard pages: what a leader and a team see, with reasons traced to records."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import drift, metrics, rollups, selectors, snapshots
from dashboards.models import Deployment, Finding, Incident
from readmodel.models import Rollup
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan
from tests.factories import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.factories.work import SprintFactory
from tests.querycount import assert_flat_queries

pytestmark = pytest.mark.django_db


def materialize(plan: Plan) -> None:
    workspace = plan.world.workspace
    rollups.recompute_all(workspace)
    metrics.refresh_team_metrics(workspace)
    drift.refresh_findings(workspace)


def leader_url(plan: Plan) -> str:
    return reverse("dashboards:leader", kwargs={"slug": plan.world.workspace.slug})


def team_url(plan: Plan, team_id: int | None = None) -> str:
    return reverse(
        "dashboards:team",
        kwargs={"slug": plan.world.workspace.slug, "team_id": team_id or plan.team.pk},
    )


@pytest.fixture
def busy(plan: Plan) -> Plan:
    plan.task(item=plan.item_a, estimate="3", category=C.DONE, sprint=plan.sprint)
    plan.task(item=plan.item_b, estimate="3", category=C.STARTED)
    plan.task(item=None, estimate="7", category=C.STARTED, sprint=plan.sprint)
    plan.task(item=plan.item_loose, estimate="2", category=C.UNSTARTED)
    materialize(plan)
    return plan


def test_leader_dashboard_shows_company_progress_against_pace(busy: Plan, viewer_client):
    response = viewer_client.get(leader_url(busy))
    html = response.content.decode()
    assert response.status_code == 200
    # Company objective: (2 × 3/12 + 1 × 0.5) / 3 = 33%; half the period has passed.
    assert re.search(r'id="company-percent">33%<', html)
    assert "50% of This quarter has passed" in html


def test_leader_dashboard_says_why_a_key_result_is_at_risk(busy: Plan, viewer_client):
    html = viewer_client.get(leader_url(busy)).content.decode()
    risk = html.split(f'id="risk-key_result-{busy.from_work.pk}"')[1].split("</li></ul>")[0]
    assert "Progress is 25% but 50% of the period has passed (25 points behind pace)." in risk


def test_every_finding_links_the_records_behind_it(busy: Plan, viewer_client):
    html = viewer_client.get(leader_url(busy)).content.decode()
    findings = list(Finding.objects.filter(workspace=busy.world.workspace))
    assert {f.code for f in findings} >= {"low_alignment", "item_overdue", "kr_behind_pace"}
    for finding in findings:
        section = html.split(f'id="finding-{finding.pk}"')[1].split("</li>")[0]
        for kind, node_id in [[finding.subject_kind, finding.subject_id], *finding.evidence]:
            assert f'data-kind="{kind}" data-id="{node_id}"' in section, (finding.code, kind)


def test_team_comparison_names_the_dora_report(busy: Plan, viewer_client):
    html = viewer_client.get(leader_url(busy)).content.decode()
    assert "Accelerate State of DevOps Report 2024</a> (2024)" in html
    row = html.split(f'id="team-{busy.team.pk}"')[1].split("</tr>")[0]
    assert "30%" in row  # alignment: 3 of 10 points


def test_pages_carry_no_inline_style_attributes(busy: Plan, viewer_client):
    for url in (leader_url(busy), team_url(busy)):
        assert " style=" not in viewer_client.get(url).content.decode()


def test_team_dashboard_shows_sprint_progress_and_alignment(busy: Plan, viewer_client):
    html = viewer_client.get(team_url(busy)).content.decode()
    assert re.search(r'id="alignment-ratio">30%<', html)
    assert "<strong>30%</strong> of 10 points done (1 of 2 tasks)" in html
    assert 'aria-labelledby="chart-burnup-' in html


def test_the_leader_dashboard_computes_rows_that_are_missing(busy: Plan, viewer_client):
    # A world built without events (or a node created while the queue drained): no rows.
    Rollup.objects.filter(
        workspace=busy.world.workspace, kind__in=["objective", "key_result"]
    ).delete()
    html = viewer_client.get(leader_url(busy)).content.decode()
    assert re.search(r'id="company-percent">33%<', html)
    assert f'id="risk-key_result-{busy.from_work.pk}"' in html  # at risk, judged from a fresh row


def test_the_leader_dashboard_recomputes_a_row_from_an_earlier_day(busy: Plan, viewer_client):
    yesterday = timezone.now() - timedelta(days=1)
    Rollup.objects.filter(kind="objective", node_id=busy.company.pk).update(
        progress=Decimal("0.9"), digest="yesterday's numbers", computed_at=yesterday
    )
    html = viewer_client.get(leader_url(busy)).content.decode()
    assert re.search(r'id="company-percent">33%<', html)


def test_the_team_dashboard_computes_its_missing_team_and_sprint_rows(busy: Plan, viewer_client):
    Rollup.objects.filter(workspace=busy.world.workspace, kind__in=["team", "sprint"]).delete()
    html = viewer_client.get(team_url(busy)).content.decode()
    assert re.search(r'id="alignment-ratio">30%<', html)
    assert "<strong>30%</strong> of 10 points done (1 of 2 tasks)" in html


def test_the_team_dashboard_recomputes_a_sprint_row_from_an_earlier_day(busy: Plan, viewer_client):
    # The rows are judged current with the team (selectors.with_rows_current): a row from an
    # earlier day is not.
    yesterday = timezone.now() - timedelta(days=1)
    Rollup.objects.filter(kind="sprint", node_id=busy.sprint.pk).update(
        progress=Decimal("0.9"),
        done_points=Decimal("9"),
        digest="yesterday's numbers",
        computed_at=yesterday,
    )
    html = viewer_client.get(team_url(busy)).content.decode()
    assert "<strong>30%</strong> of 10 points done (1 of 2 tasks)" in html


@pytest.mark.parametrize(
    ("gaps", "status"),
    [
        ({}, "at_risk"),  # 33% done at 50% pace: 17 points behind, past the default 10
        ({"at_risk_gap": 0.3, "off_track_gap": 0.6}, "on_track"),
        ({"at_risk_gap": 0.05, "off_track_gap": 0.15}, "off_track"),
    ],
)
def test_the_company_headline_is_judged_with_the_workspace_thresholds(
    busy: Plan, gaps: dict, status: str
):
    workspace = busy.world.workspace
    workspace.settings = {"okrs": gaps} if gaps else {}
    workspace.save(update_fields=["settings"])
    dash = selectors.leader_dashboard(
        workspace, parts=["progress"], today=busy.period.start + timedelta(days=45)
    )
    assert (dash.percent, dash.expected_percent, dash.status) == (33, 50, status)


def test_team_of_another_workspace_is_404(busy: Plan, world_b, viewer_client):
    assert viewer_client.get(team_url(busy, world_b.team.pk)).status_code == 404


def test_leader_csv_export_lists_the_teams(busy: Plan, viewer_client):
    url = leader_url(busy) + "export/?table=teams"
    response = viewer_client.get(url)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:4] == ["team", "key", "sprint_progress_percent", "alignment_percent"]
    assert rows[1][:4] == [busy.team.name, "ENG", "30", "30"]


def test_unknown_export_table_is_404(busy: Plan, viewer_client):
    assert viewer_client.get(leader_url(busy) + "export/?table=secrets").status_code == 404


def test_team_csv_export_of_findings(busy: Plan, viewer_client):
    response = viewer_client.get(team_url(busy) + "export/?table=findings")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["code", "severity", "sentence"]
    assert "low_alignment" in {row[0] for row in rows[1:]}


def _grow(plan: Plan) -> None:
    """More of everything: teams, sprints, objectives, KRs, tasks and findings."""
    ws = plan.world.workspace
    for n in range(6):
        team = TeamFactory(workspace=ws, name=f"Team {n}", key=f"TM{n}")
        SprintFactory(team=team, name="Now", status="active")
        objective = ObjectiveFactory(period=plan.period, team=team, title=f"Goal {n}")
        KeyResultFactory(objective=objective, title=f"Result {n}")
        for _ in range(3):
            plan.task(item=None, estimate="2", category=C.UNSTARTED, sprint=plan.sprint)
            plan.task(item=plan.item_loose, estimate="1", category=C.STARTED, team=team)
    materialize(plan)


def test_leader_dashboard_queries_do_not_grow(busy: Plan, viewer_client):
    # 28: the findings widget also counts the dismissed and snoozed findings (its link); the
    # read model's freshness step adds its queue check and one query listing the objectives,
    # key results and teams without a row computed today (readmodel.selectors.refresh_rows_of).
    # The names of every record the page links to are one UNION ALL query (reasons.Names).
    assert_flat_queries(viewer_client, leader_url(busy), grow=lambda: _grow(busy), budget=23)


def test_team_dashboard_queries_do_not_grow(busy: Plan, viewer_client):
    # 8 (18 before #15): the team is read with its layout rows, the findings clock, its
    # stored metrics, whether its and its active sprint's rows are current (the queue is
    # empty, every row computed today: selectors.with_rows_current), so the freshness step
    # costs no query of its own while they are, and the workspace's periods for the period
    # picker (period_picker.with_periods); the team and sprint rows are one read, with the
    # sprint's daily snapshots for the flow chart; the team objectives widget reads its
    # objectives with their rollups (1); the DORA benchmark is remembered per process; the
    # names of the linked records are one query (reasons.Names).
    assert_flat_queries(viewer_client, team_url(busy), grow=lambda: _grow(busy), budget=8)


def test_leader_trend_is_drawn_from_daily_snapshots(busy: Plan, viewer_client, today):
    snapshots.take(busy.world.workspace, day=today - timedelta(days=1))
    snapshots.take(busy.world.workspace, day=today)
    html = viewer_client.get(leader_url(busy)).content.decode()
    trend = html.split('id="chart-company-trend"')[1].split("</figure>")[0]
    assert f"{(today - timedelta(days=1)).isoformat()[5:]}: Progress 33.3 %" in trend


def delivery_url(plan: Plan, team_id: int | None = None) -> str:
    return reverse(
        "dashboards:delivery",
        kwargs={"slug": plan.world.workspace.slug, "team_id": team_id or plan.team.pk},
    )


def test_member_records_a_deployment_from_the_delivery_page(plan: Plan, member_client):
    response = member_client.post(
        delivery_url(plan),
        {
            "kind": "deployment",
            "deployment-deployed_at": "2026-01-10T10:00",
            "deployment-committed_at": "2026-01-09T16:00",
            "deployment-reference": "v3.1",
        },
    )
    assert response.status_code == 303
    deployment = Deployment.objects.get()
    assert (deployment.reference, deployment.team_id) == ("v3.1", plan.team.pk)


def test_an_incident_restored_before_it_started_is_shown_again_with_422(plan: Plan, member_client):
    response = member_client.post(
        delivery_url(plan),
        {
            "kind": "incident",
            "incident-title": "Checkout down",
            "incident-started_at": "2026-01-10T10:00",
            "incident-resolved_at": "2026-01-10T09:00",
        },
    )
    assert response.status_code == 422
    assert "An incident is resolved after it starts." in response.content.decode()
    assert not Incident.objects.exists()


def test_an_incident_cannot_point_at_another_teams_deployment(plan: Plan, member_client):
    design = TeamFactory(workspace=plan.world.workspace, name="Design", key="DES")
    other = Deployment.objects.create(
        workspace=plan.world.workspace, team=design, deployed_at=timezone.now()
    )
    response = member_client.post(
        delivery_url(plan),
        {
            "kind": "incident",
            "incident-title": "Checkout down",
            "incident-started_at": "2026-01-10T10:00",
            "incident-deployment": str(other.pk),
        },
    )
    assert response.status_code == 422
    assert not Incident.objects.exists()


def test_viewer_cannot_record_a_deployment(plan: Plan, viewer_client):
    response = viewer_client.post(
        delivery_url(plan), {"kind": "deployment", "deployment-deployed_at": "2026-01-10T10:00"}
    )
    assert response.status_code == 403
    assert not Deployment.objects.exists()


def test_cumulative_flow_stacks_the_sprints_tasks_per_state_each_day(
    busy: Plan, viewer_client, today
):
    snapshots.take(busy.world.workspace, day=today - timedelta(days=1))
    busy.task(item=None, estimate="1", category=C.UNSTARTED, sprint=busy.sprint)
    snapshots.take(busy.world.workspace, day=today)
    html = viewer_client.get(team_url(busy)).content.decode()
    flow = html.split(f'id="chart-flow-{busy.team.pk}"')[1].split("</figure>")[0]
    assert flow.count('<polygon class="area band-') == 4
    yesterday, now = (today - timedelta(days=1)).isoformat()[5:], today.isoformat()[5:]
    # Values on hover: one column per day naming every band, top band first.
    assert (
        f"<title>{yesterday}: Backlog 0, To do 0, In progress 1, Done 1 (2 tasks)</title>" in flow
    )
    assert f"<title>{now}: Backlog 0, To do 1, In progress 1, Done 1 (3 tasks)</title>" in flow
    assert '<th scope="col">In progress</th>' in flow  # the table view


def test_cumulative_flow_downloads_as_csv(busy: Plan, viewer_client, today):
    snapshots.take(busy.world.workspace, day=today)
    response = viewer_client.get(team_url(busy) + "export/?table=flow")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Day", "Done", "In progress", "To do", "Backlog"],
        [today.isoformat()[5:], "1", "1", "0", "0"],
    ]


def test_alignment_widget_draws_the_sprints_aligned_share_per_day(busy: Plan, viewer_client, today):
    snapshots.take(busy.world.workspace, day=today)
    html = viewer_client.get(team_url(busy)).content.decode()
    trend = html.split(f'id="chart-alignment-{busy.team.pk}"')[1].split("</figure>")[0]
    assert f"<title>{today.isoformat()[5:]}: Aligned 30 %</title>" in trend
