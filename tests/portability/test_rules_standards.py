"""Standards (with adoptions, waivers and compliance history) and automation rules (with their
run history) travel in a workspace archive and come back faithfully."""

from __future__ import annotations

import io

import pytest

from automation import engine
from automation import services as rule_services
from automation.models import Rule, RuleRun, RunStatus, Trigger
from okrs.models import KeyResult
from portability import archive
from portability.exporter import export_document
from portability.importer import import_document
from standards import services as standard_services
from standards.models import Adoption, GateRecord, Mode, Standard
from tasks import services as task_services
from tasks.models import Task
from tests.factories.okrs import KeyResultFactory, PeriodFactory
from tests.factories.work import TaskFactory, state_of


def _round_trip(document: dict) -> dict:
    buffer = io.BytesIO()
    archive.write(buffer, document)
    buffer.seek(0)
    return archive.read(buffer)


@pytest.fixture
def exported(world, django_capture_on_commit_callbacks):
    admin = world.admin
    done = standard_services.standard_create_from_template(
        actor=admin, template="definition-of-done"
    )
    standard_services.standard_update(actor=admin, standard=done, mode=Mode.WARN)
    standard_services.standard_adopt(actor=admin, standard=done, team=world.team)
    own = standard_services.standard_create(
        actor=admin,
        name="Estimates before work",
        team=world.team,
        gate="started",
        checks=[{"kind": "estimate_present"}],
    )
    standard_services.standard_waive(
        actor=admin, standard=own, team=world.team, reason="Spike week: no estimates."
    )
    slipped = TaskFactory(team=world.team, state=state_of(world.team, "started"))
    task_services.task_transition(
        actor=world.member, task=slipped, to_state=state_of(world.team, "done")
    )
    kr = KeyResultFactory(objective__period=PeriodFactory(workspace=world.workspace))
    traced = rule_services.rule_create(
        actor=admin,
        name="Label KR work",
        team=world.team,
        trigger=Trigger.TASK_CREATED,
        conditions=[
            {"kind": "kr", "value": str(kr.pk)},
            {"kind": "label", "op": "lacks", "value": "okr"},
        ],
        actions=[{"kind": "add_label", "label": "okr"}],
    )
    commenter = rule_services.rule_create(
        actor=admin,
        name="Comment on moves",
        trigger=Trigger.TASK_MOVED,
        actions=[
            {"kind": "comment", "text": "moved {task}"},
            {"kind": "webhook", "subscription": "9"},
        ],
    )
    rule_services.rule_set_enabled(actor=admin, rule=commenter, enabled=True)
    rule_services.rule_create(
        actor=admin,
        name="Only a webhook",
        trigger=Trigger.TASK_CREATED,
        actions=[{"kind": "webhook", "subscription": "9"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        moved = TaskFactory(team=world.team, state=state_of(world.team, "unstarted"))
        task_services.task_transition(
            actor=world.member, task=moved, to_state=state_of(world.team, "started")
        )
    run = RuleRun.objects.get(rule=commenter, status=RunStatus.APPLIED)
    assert run.task_ids == [moved.pk]
    assert run.event_key.startswith("event:")
    schedule = rule_services.rule_create(
        actor=admin,
        name="Every hour",
        trigger=Trigger.SCHEDULE,
        every_minutes=60,
        actions=[{"kind": "comment", "text": "tick"}],
    )
    RuleRun.objects.create(
        workspace=world.workspace, rule=schedule, event_key="schedule:42", status="not_matched"
    )
    return {
        "document": _round_trip(export_document(world.workspace)),
        "kr": kr,
        "traced": traced,
        "moved": moved,
        "slipped": slipped,
    }


def test_standards_adoptions_waivers_and_gate_records_come_back(world, exported):
    copy = import_document(exported["document"], slug="acme-copy").workspace

    def standards(workspace):
        return sorted(
            (s.key, s.name, s.subject, s.gate, s.mode, s.checks, s.template, bool(s.team_id))
            for s in Standard.objects.filter(workspace=workspace)
        )

    assert standards(copy) == standards(world.workspace)
    [waived] = Adoption.objects.filter(workspace=copy).exclude(waiver_reason="")
    assert waived.waiver_reason == "Spike week: no estimates."
    assert waived.team.workspace == copy
    assert waived.standard.workspace == copy
    assert waived.standard.team == waived.team
    [record] = GateRecord.objects.filter(workspace=copy, outcome="slipped")
    assert record.task.key == exported["slipped"].key
    assert record.task.workspace == copy
    original = GateRecord.objects.get(workspace=world.workspace, outcome="slipped")
    assert "pr_merged" in record.failing
    assert (record.failing, record.category, record.via, record.created_at) == (
        original.failing,
        original.category,
        original.via,
        original.created_at,
    )


def test_rules_come_back_with_key_results_remapped_and_webhooks_left_behind(world, exported):
    result = import_document(exported["document"], slug="acme-copy")
    copy = result.workspace
    rules = {r.name: r for r in Rule.objects.filter(workspace=copy)}
    assert sorted(rules) == ["Comment on moves", "Every hour", "Label KR work"]
    assert result.dropped["automation.rule"] == 1  # "Only a webhook": nothing left to do

    traced = rules["Label KR work"]
    [kr_condition, label_condition] = traced.conditions
    assert kr_condition["kind"] == "kr"
    assert kr_condition["value"] != str(exported["kr"].pk)
    assert KeyResult.objects.get(pk=int(kr_condition["value"])).workspace == copy
    assert label_condition == {"kind": "label", "op": "lacks", "value": "okr"}
    assert traced.team.workspace == copy
    assert traced.team.key == world.team.key
    assert traced.trigger == Trigger.TASK_CREATED
    assert not traced.enabled

    commenter = rules["Comment on moves"]
    assert commenter.actions == [{"kind": "comment", "text": "moved {task}"}]
    assert not commenter.enabled  # its webhook needs a subscription on this instance first

    [run] = RuleRun.objects.filter(rule=commenter)
    new_task = Task.objects.get(workspace=copy, number=exported["moved"].number)
    assert run.task_ids == [new_task.pk]
    assert run.event_key.startswith("imported:event:")
    original = RuleRun.objects.get(rule__workspace=world.workspace, rule__name="Comment on moves")
    assert run.outcome == original.outcome
    assert run.outcome[0] == f"{exported['moved'].key}: comment “moved {exported['moved'].key}”"
    assert RuleRun.objects.get(rule=rules["Every hour"]).event_key == "schedule:42"


def test_an_imported_run_never_stands_for_a_new_event(world, exported):
    copy = import_document(exported["document"], slug="acme-copy").workspace
    commenter = Rule.objects.get(workspace=copy, name="Comment on moves")
    [run] = RuleRun.objects.filter(rule=commenter)
    old_key = run.event_key.removeprefix("imported:")
    # The new instance's events count from its own ids: one may carry the old run's number.
    fresh = engine.run_rule(
        commenter,
        trigger=Trigger.TASK_MOVED,
        data={"task_ids": run.task_ids},
        chain=[],
        event_key=old_key,
    )
    assert fresh is not None
    assert fresh.status == RunStatus.APPLIED


def test_exporting_the_copy_again_gives_the_same_rules(world, exported):
    copy = import_document(exported["document"], slug="acme-copy").workspace
    again = import_document(_round_trip(export_document(copy)), slug="acme-copy-2").workspace

    def shape(workspace):
        return sorted(
            (r.name, r.trigger, len(r.conditions), r.actions, r.enabled, r.every_minutes)
            for r in Rule.objects.filter(workspace=workspace)
        )

    assert shape(again) == shape(copy)
    assert sorted(
        RuleRun.objects.filter(workspace=again).values_list("event_key", flat=True)
    ) == sorted(RuleRun.objects.filter(workspace=copy).values_list("event_key", flat=True))
