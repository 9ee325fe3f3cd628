"""No sequence of events lets a task into a gated state while its blocking checks fail."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import ExternalLink
from standards import services
from standards.evaluate import evaluate_task
from standards.models import Adoption, GateRecord, Mode, Outcome
from tasks import services as task_services
from tasks.errors import TransitionBlocked
from tasks.models import StateCategory, Task, WorkflowState
from tests.standards.conftest import link_pr

CATEGORIES = [StateCategory.BACKLOG, StateCategory.UNSTARTED, StateCategory.STARTED, "done"]
MOVERS = ["transition", "update", "move", "create"]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("estimate"), st.booleans()),
        st.tuples(st.just("pr"), st.sampled_from(["open", "merged", "closed"])),
        st.tuples(st.just("subtask"), st.booleans()),  # add one / close them all
        st.tuples(st.just("mode"), st.sampled_from([Mode.BLOCK, Mode.WARN])),
        st.tuples(st.just("waive"), st.booleans()),
        st.tuples(st.just("move"), st.tuples(st.sampled_from(CATEGORIES), st.sampled_from(MOVERS))),
    ),
    min_size=1,
    max_size=12,
)


def _first(team, category: str) -> WorkflowState:
    return WorkflowState.objects.filter(team=team, category=category).order_by("position").first()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=steps)
def test_no_sequence_of_events_enters_a_gated_state_failing_a_blocking_check(
    world, done_standard, events
):
    team, member, admin = world.team, world.member, world.admin
    services.standard_update(actor=admin, standard=done_standard, mode=Mode.BLOCK)
    Adoption.objects.filter(standard=done_standard).update(waiver_reason="")
    task = task_services.task_create(actor=member, team=team, title="Ship it")
    for event, value in events:
        task = Task.objects.select_related("team", "workspace").get(pk=task.pk)
        if event == "estimate":
            task_services.task_update(
                actor=member, task=task, estimate=Decimal(3) if value else None
            )
        elif event == "pr":
            link_pr(task, state=value)
        elif event == "subtask":
            if value:
                task_services.task_subtask_create(actor=member, parent=task, title="Step")
            else:
                for sub in Task.objects.filter(parent=task).exclude(state_category="done"):
                    sub.state, sub.state_category = _first(team, "done"), "done"
                    sub.save(update_fields=["state", "state_category"])
        elif event == "mode":
            services.standard_update(actor=admin, standard=done_standard, mode=value)
        elif event == "waive":
            if value:
                services.standard_waive(
                    actor=admin, standard=done_standard, team=team, reason="Spike week, no PRs."
                )
            else:
                services.standard_unwaive(actor=admin, standard=done_standard, team=team)
        else:
            category, mover = value
            before = (task.state_id, task.version)
            target = _first(team, category)
            subject = task
            if mover == "create":  # a new task: no estimate, no pull request, no sub-tasks
                subject = Task(workspace=world.workspace, team=team, state=target)
            judged = evaluate_task(subject, slug=world.workspace.slug, gate=target.category)
            blocking = [s for s in judged.standards if s.blocks]
            records_before = GateRecord.objects.count()
            try:
                if mover == "transition":
                    task_services.task_transition(actor=member, task=task, to_state=target)
                elif mover == "update":
                    task_services.task_update(actor=member, task=task, state=target)
                elif mover == "move":
                    task_services.task_move(
                        actor=member, task=task, expected_version=task.version, state=target
                    )
                else:
                    created = task_services.task_create(
                        actor=member, team=team, title="Straight in", state=target
                    )
                    assert not blocking, "a task was created into a failing gated state"
                    assert created.state_category == category
                    continue
            except TransitionBlocked:
                fresh = Task.objects.get(pk=task.pk)
                assert blocking, "refused although every blocking check passes"
                assert (fresh.state_id, fresh.version) == before
                assert GateRecord.objects.count() == records_before
                continue
            fresh = Task.objects.get(pk=task.pk)
            entered = task.state_category != category
            if entered and category == "done":
                assert not blocking, "entered Done while a blocking check fails"
                outcome = GateRecord.objects.latest("id").outcome
                adoption = Adoption.objects.get(standard=done_standard)
                expected = (
                    Outcome.WAIVED
                    if adoption.is_waived
                    else Outcome.MET
                    if judged.standards[0].ok
                    else Outcome.SLIPPED
                )
                assert outcome == expected
            assert fresh.state_category == category
    ExternalLink.objects.all().delete()
