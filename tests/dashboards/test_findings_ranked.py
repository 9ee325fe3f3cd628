"""Findings a leader can read in a minute: grouped by kind, ranked by impact, one per blocked
chain, scope creep naming the added tasks, and nothing flagged on done or canceled work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from dashboards import drift, rollups
from dashboards.drift_base import impact_of
from dashboards.findings import grouped, visible
from dashboards.models import Finding
from okrs.models import ObjectiveStatus
from roadmaps.models import RoadmapItem, RoadmapItemStatus
from tasks.models import StateCategory as C
from tasks.models import TaskDependency
from tests.dashboards.conftest import Plan
from tests.factories import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.factories.work import state_history

pytestmark = pytest.mark.django_db


def refresh(plan: Plan) -> list[Finding]:
    rollups.recompute_all(plan.world.workspace)
    drift.refresh_findings(plan.world.workspace)
    return list(Finding.objects.filter(workspace=plan.world.workspace))


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def test_impact_weighs_points_level_severity_and_days_late():
    base = impact_of(severity="at_risk", points=4, level="team", days_late=0)
    assert base == 10.0  # (4 + 1) x 2
    assert impact_of(severity="at_risk", points=4, level="company", days_late=0) == 2 * base
    assert impact_of(severity="off_track", points=4, level="team", days_late=0) == 2 * base
    assert impact_of(severity="at_risk", points=4, level="team", days_late=7) == 2 * base
    assert impact_of(severity="at_risk", points=0, level="", days_late=0) == 1.0


def test_a_company_objective_without_work_outranks_a_team_one(plan: Plan, today):
    lonely_company = ObjectiveFactory(
        period=plan.period, level="company", team=None, title="Enter Japan"
    )
    refresh(plan)
    ranked = list(visible(plan.world.workspace, today=today).filter(code="objective_without_work"))
    assert [(f.subject_id, f.level) for f in ranked] == [
        (lonely_company.pk, "company"),
        (plan.team_objective.pk, "team"),
    ]
    assert ranked[0].impact == 2 * ranked[1].impact


def test_groups_show_the_top_three_of_each_kind_worst_group_first(plan: Plan, today):
    ws = plan.world.workspace
    for n in range(5):  # five team objectives with nothing linked: one group of five
        ObjectiveFactory(period=plan.period, team=plan.team, title=f"Goal {n}")
    overdue = plan.task(item=plan.item_loose, estimate="8", category=C.STARTED)
    refresh(plan)

    result = grouped(ws, today=today)

    by_code = {g.code: g for g in result.groups}
    assert by_code["objective_without_work"].count == 6
    assert len([f for f in result.stored if f.code == "objective_without_work"]) == 3
    assert by_code["objective_without_work"].more == 3
    # An 8-point item three days late outranks objectives with nothing linked.
    assert result.groups[0].code == "item_overdue"
    assert [f.subject_id for f in result.stored if f.code == "item_overdue"] == [plan.item_loose.pk]
    assert overdue.pk in {i for _, i in result.stored[0].evidence}


def test_the_leader_dashboard_shows_groups_with_show_all(plan: Plan, today, viewer_client):
    for n in range(4):
        ObjectiveFactory(period=plan.period, team=plan.team, title=f"Goal {n}")
    refresh(plan)
    slug = plan.world.workspace.slug

    html = viewer_client.get(reverse("dashboards:leader", args=[slug])).content.decode()

    group = html.split('id="findings-objective_without_work"')[1].split("</section>")[0]
    assert "No work linked" in group
    assert group.count('class="finding"') == 3
    all_url = reverse("dashboards:findings", args=[slug]) + "?code=objective_without_work"
    assert f'href="{all_url}"' in group
    assert f'hx-get="{all_url}"' in group
    assert "Show all 5" in group
    # The htmx "show all" swaps in the whole group; the link is a real page too.
    partial = viewer_client.get(all_url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.count('class="finding"') == 5
    assert "<html" not in partial
    page = viewer_client.get(all_url)
    assert page.status_code == 200
    assert page.content.decode().count('class="finding"') == 5


def test_two_tasks_waiting_on_one_blocker_are_one_chain(plan: Plan):
    ws = plan.world.workspace
    design = TeamFactory(workspace=ws, name="Design", key="DES")
    mobile = TeamFactory(workspace=ws, name="Mobile", key="MOB")
    api_task = plan.task(item=plan.item_a, estimate="5", category=C.STARTED)
    screens = plan.task(item=None, estimate="3", category=C.UNSTARTED, team=design)
    app = plan.task(item=None, estimate="2", category=C.UNSTARTED, team=mobile)
    TaskDependency.objects.create(workspace=ws, blocking=api_task, blocked=screens)
    TaskDependency.objects.create(workspace=ws, blocking=api_task, blocked=app)

    [chain] = [f for f in refresh(plan) if f.code == "blocked_chain"]

    assert (chain.subject_kind, chain.subject_id, chain.team_id) == (
        "task",
        api_task.pk,
        plan.team.pk,
    )
    assert {t for k, t in chain.evidence if k == "team"} == {plan.team.pk, design.pk, mobile.pk}
    assert {t for k, t in chain.evidence if k == "task"} == {screens.pk, app.pk}
    assert chain.numbers["blocked"] == 2.0
    assert chain.numbers["points"] == 5.0
    assert chain.level == "company"  # the blocker serves the company objective's KR


def test_a_chain_inside_one_team_or_with_done_work_is_not_flagged(plan: Plan):
    ws = plan.world.workspace
    design = TeamFactory(workspace=ws, name="Design", key="DES")
    first = plan.task(item=None, estimate="1", category=C.STARTED)
    second = plan.task(item=None, estimate="1", category=C.UNSTARTED)
    done = plan.task(item=None, estimate="1", category=C.DONE, team=design)
    TaskDependency.objects.create(workspace=ws, blocking=first, blocked=second)
    TaskDependency.objects.create(workspace=ws, blocking=done, blocked=first)

    assert "blocked_chain" not in codes(refresh(plan))


def test_a_roadmap_item_marked_done_or_canceled_is_never_past_its_target(plan: Plan):
    plan.task(item=plan.item_loose, estimate="2", category=C.STARTED)
    assert "item_overdue" in codes(refresh(plan))

    for status in (RoadmapItemStatus.DONE, RoadmapItemStatus.CANCELED):
        RoadmapItem.objects.filter(pk=plan.item_loose.pk).update(status=status)
        assert "item_overdue" not in codes(refresh(plan)), status


def test_key_results_of_closed_objectives_are_not_flagged(plan: Plan):
    plan.task(item=plan.item_a, estimate="3", category=C.UNSTARTED)
    assert "kr_behind_pace" in codes(refresh(plan))
    plan.company.status = ObjectiveStatus.CLOSED
    plan.company.save()

    found = refresh(plan)

    assert not [
        f
        for f in found
        if f.subject_kind == "key_result"
        and f.subject_id
        in (
            plan.from_work.pk,
            plan.from_teams.pk,
        )
    ]


def test_a_refresh_keeps_a_findings_id_while_its_cause_persists(plan: Plan):
    [before] = [f for f in refresh(plan) if f.code == "objective_without_work"]
    KeyResultFactory(objective=plan.team_objective, title="Second result")
    [after] = [f for f in refresh(plan) if f.code == "objective_without_work"]
    assert after.pk == before.pk

    plan.team_objective.status = ObjectiveStatus.CLOSED
    plan.team_objective.save()
    refresh(plan)
    assert not Finding.objects.filter(pk=before.pk).exists()


def test_scope_creep_names_the_sprint_and_links_each_added_task(plan: Plan, viewer_client):
    started = plan.sprint.started_at
    committed = plan.task(item=plan.item_a, estimate="5", category=C.STARTED, sprint=plan.sprint)
    added = plan.task(item=plan.item_b, estimate="4", category=C.UNSTARTED, sprint=plan.sprint)
    state_history(committed, (started - timedelta(hours=1), plan.sprint.pk, "5", C.UNSTARTED))
    state_history(added, (started + timedelta(days=1), plan.sprint.pk, "4", C.UNSTARTED))
    [finding] = [f for f in refresh(plan) if f.code == "scope_added"]
    slug = plan.world.workspace.slug

    html = viewer_client.get(reverse("dashboards:leader", args=[slug])).content.decode()

    item = html.split(f'id="finding-{finding.pk}"')[1].split("</li>")[0]
    assert (
        "“Sprint 1” grew by 4 points (80% of the 5 committed) after it started, 1 task added; "
        "the limit is 20%." in item
    )
    assert f'data-kind="sprint" data-id="{plan.sprint.pk}"' in item
    task_url = reverse("tasks:task", args=[slug, added.key])
    assert f'href="{task_url}" data-kind="task" data-id="{added.pk}"' in item
