"""Rules run on domain events through the services, once per event, never in a loop."""

from __future__ import annotations

import pytest

from alignment.errors import FieldErrors, RoleRequired
from alignment.models import AuditEvent
from automation import engine, replay, services
from automation.models import AutomationEvent, RuleRun, RunStatus, Trigger
from tasks import services as task_services
from tasks.models import TaskComment, TaskEvent
from tests.factories.work import SprintFactory, TaskFactory, state_of


def _enabled(world, **data):
    rule = services.rule_create(actor=world.admin, **data)
    return services.rule_set_enabled(actor=world.admin, rule=rule, enabled=True)


def test_task_created_rule_comments_and_labels(world, django_capture_on_commit_callbacks):
    rule = _enabled(
        world,
        name="Triage new bugs",
        trigger=Trigger.TASK_CREATED,
        conditions=[{"kind": "field", "field": "title", "op": "contains", "value": "bug"}],
        actions=[
            {"kind": "add_label", "label": "triage"},
            {"kind": "comment", "text": "Auto-triaged {task}"},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        task = task_services.task_create(actor=world.member, team=world.team, title="A bug here")
        other = task_services.task_create(actor=world.member, team=world.team, title="Feature")
    assert [label.name for label in task.labels.all()] == ["triage"]
    assert TaskComment.objects.get(task=task).body == f"Auto-triaged {task.key}"
    assert not other.labels.exists()
    run = RuleRun.objects.get(rule=rule, status=RunStatus.APPLIED)
    assert run.status == RunStatus.APPLIED
    assert run.task_ids == [task.pk]
    assert (
        AuditEvent.objects.filter(verb="automation.rule_run", object_id=str(rule.pk)).count() == 1
    )


def test_a_rule_never_retriggers_itself(world, django_capture_on_commit_callbacks):
    # The rule's own move to done is another "moved" event: it must not run the rule again.
    rule = _enabled(
        world,
        name="Started means done",
        trigger=Trigger.TASK_MOVED,
        actions=[{"kind": "set_state", "state": "done"}],
    )
    task = TaskFactory(team=world.team, state=state_of(world.team, "unstarted"))
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=world.member, task=task, to_state=state_of(world.team, "started")
        )
    task.refresh_from_db()
    assert task.state_category == "done"
    statuses = sorted(
        RuleRun.objects.filter(rule=rule)
        .exclude(status=RunStatus.NOT_MATCHED)
        .values_list("status", flat=True)
    )
    assert statuses == [RunStatus.APPLIED, RunStatus.LOOP_BLOCKED]
    marked = AutomationEvent.objects.filter(chain=[rule.pk])
    assert marked.count() == 1  # the rule's own move carries the marker
    via = TaskEvent.objects.filter(task=task, kind="state").last().after
    assert via["via"] == "automation: Started means done"


def test_ping_pong_between_two_rules_stops_at_the_depth_limit(
    world, django_capture_on_commit_callbacks
):
    first = _enabled(
        world,
        name="to started",
        trigger=Trigger.TASK_MOVED,
        conditions=[{"kind": "field", "field": "state_category", "op": "=", "value": "unstarted"}],
        actions=[{"kind": "set_state", "state": "started"}],
    )
    second = _enabled(
        world,
        name="back to unstarted",
        trigger=Trigger.TASK_MOVED,
        conditions=[{"kind": "field", "field": "state_category", "op": "=", "value": "started"}],
        actions=[{"kind": "set_state", "state": "unstarted"}],
    )
    task = TaskFactory(team=world.team, state=state_of(world.team, "backlog"))
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=world.member, task=task, to_state=state_of(world.team, "unstarted")
        )
    runs = RuleRun.objects.filter(rule__in=[first, second])
    assert runs.filter(status=RunStatus.APPLIED).count() <= engine.MAX_DEPTH
    assert runs.filter(status__in=[RunStatus.LOOP_BLOCKED, RunStatus.DEPTH_LIMIT]).exists()


def test_the_same_event_twice_applies_once(world, django_capture_on_commit_callbacks):
    rule = _enabled(
        world,
        name="comment",
        trigger=Trigger.TASK_CREATED,
        actions=[{"kind": "comment", "text": "hello"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        task = task_services.task_create(actor=world.member, team=world.team, title="x")
    event = AutomationEvent.objects.get(trigger=Trigger.TASK_CREATED)
    AutomationEvent.objects.filter(pk=event.pk).update(processed_at=None)
    engine.process_event(event.pk)
    assert TaskComment.objects.filter(task=task).count() == 1
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_disabled_rules_store_and_do_nothing(world, django_capture_on_commit_callbacks):
    services.rule_create(
        actor=world.admin,
        name="off",
        trigger=Trigger.TASK_CREATED,
        actions=[{"kind": "comment", "text": "hello"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_create(actor=world.member, team=world.team, title="x")
    assert not AutomationEvent.objects.exists()
    assert not TaskComment.objects.exists()


def test_sprint_closed_template_moves_open_tasks_to_backlog(
    world, django_capture_on_commit_callbacks
):
    rule = services.rule_from_template(actor=world.admin, template="sprint-closed-backlog")
    services.rule_set_enabled(actor=world.admin, rule=rule, enabled=True)
    sprint = SprintFactory(team=world.team, status="active")
    open_task = TaskFactory(team=world.team, sprint=sprint, state=state_of(world.team, "started"))
    TaskFactory(team=world.team, sprint=sprint, state=state_of(world.team, "done"))
    with django_capture_on_commit_callbacks(execute=True):
        task_services.sprint_close(actor=world.admin, sprint=sprint)
    open_task.refresh_from_db()
    assert open_task.sprint_id is None
    assert open_task.state_category == "backlog"


def test_only_admins_write_rules_and_bad_rules_are_refused(world):
    with pytest.raises(RoleRequired):
        services.rule_from_template(actor=world.member, template="pr-merged-done")
    with pytest.raises(FieldErrors) as caught:
        services.rule_create(actor=world.admin, name="x", trigger="nope", actions=[])
    assert "trigger" in caught.value.fields
    with pytest.raises(FieldErrors) as caught:
        services.rule_create(
            actor=world.admin, name="x", trigger=Trigger.TASK_CREATED, actions=[{"kind": "fly"}]
        )
    assert "actions" in caught.value.fields


def test_dry_run_reports_and_changes_nothing(world, django_capture_on_commit_callbacks):
    task = TaskFactory(team=world.team, state=state_of(world.team, "unstarted"))
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=world.member, task=task, to_state=state_of(world.team, "started")
        )
    rule = services.rule_create(
        actor=world.admin,
        name="comment on moves",
        trigger=Trigger.TASK_MOVED,
        actions=[{"kind": "comment", "text": "moved {task}"}],
    )
    run, hits = replay.dry_run(actor=world.admin, rule=rule)
    assert len(hits) == 1
    assert hits[0].lines == [f"{task.key}: comment “moved {task.key}”"]
    assert run.status == RunStatus.DRY_RUN
    assert not TaskComment.objects.exists()
    assert AuditEvent.objects.filter(verb="automation.rule_dry_run").count() == 1
