"""Property: no sequence of events makes a rule loop or apply twice to one event."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation import engine, services
from automation.models import AutomationEvent, RuleRun, RunStatus, Trigger
from tasks import services as task_services
from tasks.models import StateCategory, TaskComment
from tests.factories.work import TaskFactory, state_of

CATEGORIES = [StateCategory.BACKLOG, StateCategory.UNSTARTED, StateCategory.STARTED]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.sampled_from(CATEGORIES), st.integers(0, 2)),
        st.tuples(st.just("create"), st.just(""), st.just(0)),
        st.tuples(st.just("redeliver"), st.just(""), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=6,
)


def _rules(world):
    made = []
    for name, trigger, conditions, actions in [
        (
            "unstarted → started",
            Trigger.TASK_MOVED,
            [{"kind": "field", "field": "state_category", "op": "=", "value": "unstarted"}],
            [{"kind": "set_state", "state": "started"}],
        ),
        (
            "started → unstarted",
            Trigger.TASK_MOVED,
            [{"kind": "field", "field": "state_category", "op": "=", "value": "started"}],
            [{"kind": "set_state", "state": "unstarted"}],
        ),
        ("comment on moves", Trigger.TASK_MOVED, [], [{"kind": "comment", "text": "moved"}]),
        (
            "new → unstarted",
            Trigger.TASK_CREATED,
            [],
            [{"kind": "set_state", "state": "unstarted"}, {"kind": "add_label", "label": "new"}],
        ),
    ]:
        rule = services.rule_create(
            actor=world.admin, name=name, trigger=trigger, conditions=conditions, actions=actions
        )
        made.append(services.rule_set_enabled(actor=world.admin, rule=rule, enabled=True))
    return made


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_no_sequence_loops_or_double_applies(world, django_capture_on_commit_callbacks, steps):
    if not hasattr(world, "_rules"):
        world._rules = _rules(world)  # type: ignore[attr-defined]
        world._tasks = [TaskFactory(team=world.team) for _ in range(3)]  # type: ignore[attr-defined]
    comment_rule = world._rules[2]  # type: ignore[attr-defined]
    for verb, category, n in steps:
        with django_capture_on_commit_callbacks(execute=True):
            if verb == "move":
                task = world._tasks[n]  # type: ignore[attr-defined]
                task.refresh_from_db()
                task_services.task_transition(
                    actor=world.member, task=task, to_state=state_of(world.team, category)
                )
            elif verb == "create":
                task_services.task_create(actor=world.member, team=world.team, title="new")
            else:
                events = list(AutomationEvent.objects.order_by("pk").values_list("pk", flat=True))
                if events:
                    pk = events[n % len(events)]
                    before = RuleRun.objects.count(), TaskComment.objects.count()
                    AutomationEvent.objects.filter(pk=pk).update(processed_at=None)
                    engine.process_event(pk)
                    # A second delivery of the same event changes nothing.
                    assert (RuleRun.objects.count(), TaskComment.objects.count()) == before

    for event in AutomationEvent.objects.all():
        assert len(event.chain) <= engine.MAX_DEPTH
        applied = RuleRun.objects.filter(event_key=f"event:{event.pk}", status=RunStatus.APPLIED)
        # A rule never applies on an event its own actions caused.
        assert not applied.filter(rule_id__in=event.chain).exists()
    # Every applied comment run wrote exactly one comment: nothing applied twice.
    comment_runs = RuleRun.objects.filter(rule=comment_rule, status=RunStatus.APPLIED)
    assert TaskComment.objects.count() == sum(
        1 for run in comment_runs if any("comment" in line for line in run.outcome)
    )
