"""Compliance over time, the leader widget, the finding, and refused integration moves."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from dashboards.drift import refresh_findings
from dashboards.models import Finding
from dashboards.reasons import Names, finding_sentence
from integrations.models import InboundDelivery, Integration, Provider
from integrations.task_bridge import move_to
from standards import compliance, compliance_rows, services
from standards.models import GateRecord, Mode, Outcome
from tasks import services as task_services
from tasks.models import StateCategory, Task
from tests.factories.work import SprintFactory, TaskFactory
from tests.standards.conftest import link_pr, state


def _slip(world, done_standard, n: int, sprint=None) -> list[Task]:
    services.standard_update(actor=world.admin, standard=done_standard, mode=Mode.WARN)
    moved = []
    for _ in range(n):
        task = TaskFactory(
            team=world.team, sprint=sprint, estimate=3, state=state(world.team, "started")
        )
        task_services.task_transition(
            actor=world.member, task=task, to_state=state(world.team, StateCategory.DONE)
        )
        moved.append(task)
    return moved


def test_the_share_is_met_over_met_and_slipped_per_week(world, done_standard):
    good = TaskFactory(team=world.team, estimate=2, state=state(world.team, "started"))
    link_pr(good, state="merged")
    task_services.task_transition(actor=world.member, task=good, to_state=state(world.team, "done"))
    _slip(world, done_standard, 3)
    [row] = compliance.compliance_rows(world.workspace, today=timezone.localdate())
    assert (row.met, row.slipped, row.percent) == (1, 3, 25)
    assert (row.weeks[-1].met, row.weeks[-1].slipped) == (1, 3)
    assert all(w.share is None for w in row.weeks[:-1])


def test_older_records_land_in_their_own_week(world, done_standard):
    [task] = _slip(world, done_standard, 1)
    GateRecord.objects.update(created_at=timezone.now() - timedelta(days=14))
    compliance_rows.recompute_all(world.workspace)  # a change behind the services' back: repair
    [row] = compliance.compliance_rows(world.workspace, today=timezone.localdate())
    assert [w.slipped for w in row.weeks][-3:] == [1, 0, 0]


def test_the_finding_names_the_team_the_count_and_the_check(world, done_standard):
    sprint = SprintFactory(team=world.team, name="Sprint 7", status="active")
    _slip(world, done_standard, 9, sprint=sprint)
    refresh_findings(world.workspace)
    finding = Finding.objects.get(code="standard_slipped")
    names = Names.load(world.workspace, [("sprint", sprint.pk), ("team", world.team.pk)])
    assert finding_sentence(finding, names) == (
        "Acme Engineering moved 9 tasks to Done without a merged PR in “Sprint 7” "
        "(Definition of Done)."
    )


def test_the_leader_widget_lists_rows_waivers_and_slips(world, admin_client, done_standard):
    _slip(world, done_standard, 2)
    services.standard_waive(
        actor=world.admin,
        standard=done_standard,
        team=world.team,
        reason="Docs sprint: nothing to merge.",
    )
    admin_client.post("/w/acme-inc/dashboards/layout/", {"action": "add", "widget": "standards"})
    html = admin_client.get("/w/acme-inc/dashboards/").content.decode()
    assert 'id="widget-standards"' in html
    assert "Docs sprint: nothing to merge." in html
    assert 'id="standards-compliance"' in html


def _delivery(world) -> InboundDelivery:
    integration = Integration.objects.create(
        workspace=world.workspace,
        provider=Provider.GITHUB,
        name="GitHub",
        secret="s3cret",
        created_by=world.member.user,
    )
    return InboundDelivery.objects.create(
        workspace=world.workspace,
        integration=integration,
        provider=Provider.GITHUB,
        delivery_id="d-1",
        event="pull_request",
        action="closed",
        body="{}",
    )


def test_an_integration_move_that_fails_the_gate_is_refused_and_recorded(
    world, done_standard, task, django_capture_on_commit_callbacks
):
    delivery = _delivery(world)
    with django_capture_on_commit_callbacks(execute=True):
        moved = move_to(delivery=delivery, task=task, state=state(world.team, "done"))
    assert moved is False
    assert Task.objects.get(pk=task.pk).state_category == StateCategory.STARTED
    record = GateRecord.objects.get()
    assert (record.outcome, record.failing, record.via) == (
        Outcome.BLOCKED,
        ["estimate_present", "pr_merged"],
        "GitHub pull_request closed",
    )


def test_the_repair_command_recounts_rows_lost_behind_the_services_back(world, done_standard):
    import io

    from django.core.management import call_command

    from readmodel.models import ComplianceDay

    _slip(world, done_standard, 2)
    written = list(ComplianceDay.objects.values_list("slipped", "failing"))
    assert written == [
        (2, {"pr_merged": sorted(GateRecord.objects.values_list("task_id", flat=True))})
    ]
    ComplianceDay.objects.all().delete()
    [row] = compliance.compliance_rows(world.workspace, today=timezone.localdate())
    assert row.slipped == 0  # pages read the read model, never the ledger
    call_command("recompute_compliance", world.workspace.slug, stdout=io.StringIO())
    assert list(ComplianceDay.objects.values_list("slipped", "failing")) == written
