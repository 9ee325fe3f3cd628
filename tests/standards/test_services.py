"""Standards, adoption, waivers and the gate in the task services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alignment.errors import FieldErrors, RoleRequired
from alignment.models import AuditEvent
from standards import services
from standards.models import Adoption, GateRecord, Mode, Outcome, Standard
from tasks import services as task_services
from tasks.errors import TransitionBlocked
from tasks.models import StateCategory, Task
from tests.factories.core import TeamFactory
from tests.factories.work import TaskFactory
from tests.standards.conftest import link_pr, state


def test_the_four_templates_can_be_added(world):
    keys = [
        services.standard_create_from_template(actor=world.admin, template=t).key
        for t in (
            "definition-of-ready",
            "definition-of-done",
            "sprint-work-traces-to-kr",
            "kr-owner-and-cadence",
        )
    ]
    assert keys == [
        "definition-of-ready",
        "definition-of-done",
        "sprint-work-traces-to-kr",
        "kr-owner-and-cadence",
    ]
    assert Standard.objects.get(key="kr-owner-and-cadence").gate == ""


def test_members_cannot_define_standards(world):
    with pytest.raises(RoleRequired):
        services.standard_create_from_template(actor=world.member, template="definition-of-done")
    assert not Standard.objects.exists()


def test_an_unknown_check_is_refused_with_the_choices(world):
    with pytest.raises(FieldErrors) as refused:
        services.standard_create(actor=world.admin, name="X", checks=[{"kind": "vibes"}])
    assert "choose from: checklist_done" in refused.value.fields["checks"][0]


def test_a_key_result_check_cannot_gate_tasks(world):
    with pytest.raises(FieldErrors):
        services.standard_create(
            actor=world.admin, name="X", gate="done", checks=[{"kind": "key_result_owner"}]
        )


def test_moving_into_done_without_the_checks_is_refused_and_nothing_changes(
    world, done_standard, task
):
    version = task.version
    with pytest.raises(TransitionBlocked) as refused:
        task_services.task_transition(
            actor=world.member, task=task, to_state=state(world.team, StateCategory.DONE)
        )
    failing = refused.value.details["failing"]
    assert [f["kind"] for f in failing] == ["estimate_present", "pr_merged"]
    assert failing[0]["fix_url"] == f"/w/{world.workspace.slug}/tasks/{task.key}/edit/#id_estimate"
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.state_category, fresh.version) == (StateCategory.STARTED, version)
    assert not GateRecord.objects.exists()


def test_moving_after_fixing_passes_and_is_recorded_as_met(world, done_standard, task):
    link_pr(task, state="merged")
    task_services.task_update(actor=world.member, task=task, estimate=Decimal("3"))
    task_services.task_transition(
        actor=world.member, task=task, to_state=state(world.team, StateCategory.DONE)
    )
    assert Task.objects.get(pk=task.pk).state_category == StateCategory.DONE
    record = GateRecord.objects.get()
    assert (record.outcome, record.failing, record.standard) == (Outcome.MET, [], done_standard)


def test_one_update_that_adds_the_estimate_and_moves_is_judged_with_the_estimate(
    world, done_standard, task
):
    link_pr(task, state="merged")
    task_services.task_update(
        actor=world.member, task=task, estimate=Decimal("2"), state=state(world.team, "done")
    )
    assert Task.objects.get(pk=task.pk).state_category == StateCategory.DONE


def test_warn_mode_lets_the_move_through_and_records_it_slipped(world, done_standard, task):
    services.standard_update(actor=world.admin, standard=done_standard, mode=Mode.WARN)
    task_services.task_transition(
        actor=world.member, task=task, to_state=state(world.team, StateCategory.DONE)
    )
    record = GateRecord.objects.get()
    assert (record.outcome, record.failing) == (Outcome.SLIPPED, ["estimate_present", "pr_merged"])


def test_a_waived_standard_does_not_block_and_the_waiver_is_audited(world, done_standard, task):
    with pytest.raises(FieldErrors):
        services.standard_waive(
            actor=world.admin, standard=done_standard, team=world.team, reason=""
        )
    services.standard_waive(
        actor=world.admin,
        standard=done_standard,
        team=world.team,
        reason="Spike sprint: prototypes are thrown away.",
    )
    task_services.task_transition(
        actor=world.member, task=task, to_state=state(world.team, StateCategory.DONE)
    )
    assert GateRecord.objects.get().outcome == Outcome.WAIVED
    audit = AuditEvent.objects.get(verb="standard.waived")
    assert audit.after["reason"] == "Spike sprint: prototypes are thrown away."


def test_a_team_that_did_not_adopt_is_not_gated(world, done_standard):
    other = TeamFactory(workspace=world.workspace, key="OPS")
    task = TaskFactory(team=other, state=state(other, StateCategory.STARTED))
    task_services.task_transition(actor=world.member, task=task, to_state=state(other, "done"))
    assert Task.objects.get(pk=task.pk).state_category == StateCategory.DONE


def test_moves_within_a_category_are_not_gated(world, done_standard, task):
    review = task.team.workflow_states.get(name="In Review")
    task_services.task_transition(actor=world.member, task=task, to_state=review)
    assert Task.objects.get(pk=task.pk).state == review


def test_creating_a_task_straight_into_done_is_gated(world, done_standard):
    with pytest.raises(TransitionBlocked):
        task_services.task_create(
            actor=world.member,
            team=world.team,
            title="Done already",
            state=state(world.team, "done"),
        )
    assert not Task.objects.filter(title="Done already").exists()


def test_handing_a_done_task_to_a_gated_team_is_gated(world, done_standard):
    other = TeamFactory(workspace=world.workspace, key="OPS")
    task = TaskFactory(team=other, state=state(other, StateCategory.DONE))
    with pytest.raises(TransitionBlocked):
        task_services.task_move_to_team(actor=world.member, task=task, team=world.team)
    assert Task.objects.get(pk=task.pk).team == other


def test_the_checklist_is_the_sub_tasks(world, task):
    standard = services.standard_create(
        actor=world.admin, name="Checklist", gate="done", checks=[{"kind": "checklist_done"}]
    )
    services.standard_adopt(actor=world.admin, standard=standard, team=world.team)
    sub = task_services.task_subtask_create(actor=world.member, parent=task, title="Write docs")
    with pytest.raises(TransitionBlocked) as refused:
        task_services.task_transition(
            actor=world.member, task=task, to_state=state(world.team, "done")
        )
    assert refused.value.details["failing"][0]["fix_url"].endswith("#subtasks")
    task_services.task_transition(actor=world.member, task=sub, to_state=state(world.team, "done"))
    task_services.task_transition(actor=world.member, task=task, to_state=state(world.team, "done"))


def test_review_and_ci_read_the_integration_states(world, task):
    standard = services.standard_create(
        actor=world.admin,
        name="Reviewed",
        gate="done",
        checks=[{"kind": "review_approved"}, {"kind": "ci_passing"}],
    )
    services.standard_adopt(actor=world.admin, standard=standard, team=world.team)
    link_pr(task, review="changes_requested", ci="failing")
    with pytest.raises(TransitionBlocked) as refused:
        task_services.task_transition(
            actor=world.member, task=task, to_state=state(world.team, "done")
        )
    messages = [f["message"] for f in refused.value.details["failing"]]
    assert messages == ["The review asked for changes.", "CI is failing on a linked pull request."]
    link_pr(task, review="approved", ci="passing")
    task_services.task_transition(actor=world.member, task=task, to_state=state(world.team, "done"))


def test_another_teams_own_standard_cannot_be_adopted(world):
    other = TeamFactory(workspace=world.workspace, key="OPS")
    own = services.standard_create(
        actor=world.admin, name="Ops only", team=other, checks=[{"kind": "estimate_present"}]
    )
    assert Adoption.objects.filter(team=other, standard=own).exists()
    with pytest.raises(Exception, match="another team's own standard"):
        services.standard_adopt(actor=world.admin, standard=own, team=world.team)


def test_a_standard_of_another_workspace_is_not_found(world, world_b, done_standard):
    with pytest.raises(Exception, match="not found"):
        services.standard_adopt(actor=world_b.admin, standard=done_standard, team=world_b.team)
