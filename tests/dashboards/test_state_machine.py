"""The incremental rollups equal a full recompute after any sequence of edits.

The world holds a children-KR alignment (team objective → company KR) and a direct one
(an objective under the company, or a level deeper under the team objective).

Every rule goes through the real services inside a committed-callbacks block, so the path is
the production one: service → domain event after commit → dashboards subscriber → pending
queue → Celery job (eager) → `rollups.refresh`. The invariant compares every stored row with
`rollups.compute_all`, field by field.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from alignment.models import Team
from dashboards import rollups
from okrs import services as okr_services
from okrs.models import ObjectiveStatus
from readmodel.models import Rollup
from roadmaps import services as roadmap_services
from roadmaps.models import KeyResultLink, RoadmapItem
from tasks import services as task_services
from tasks.models import StateCategory, Task
from tests.dashboards.conftest import Plan
from tests.factories import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.factories.work import RoadmapItemFactory, state_of

pytestmark = pytest.mark.django_db

CATEGORIES = [c.value for c in StateCategory]
ESTIMATES = st.sampled_from([None, "0", "1", "2.5", "3", "8"])


def committed():
    return TestCase.captureOnCommitCallbacks(execute=True)


class RollupMachine(RuleBasedStateMachine):
    plan: Plan
    other_team: Team

    def __init__(self) -> None:
        super().__init__()
        self.actor = self.plan.world.member
        # A spare item linked to a KR, with work in the sprint, that a rule may delete.
        self.spare: RoadmapItem | None = RoadmapItemFactory(
            roadmap=self.plan.item_a.roadmap, title="Spare"
        )
        KeyResultLink.objects.create(
            workspace=self.plan.world.workspace, item=self.spare, key_result=self.plan.manual
        )
        # An objective aligned directly under the company (no parent KR), fed by linked work:
        # it counts in the company's own mean with its weight; rules re-weight, re-align and
        # archive it.
        self.direct = ObjectiveFactory(
            period=self.plan.period, team=self.plan.team, parent=self.plan.company, title="Direct"
        )
        self.direct_kr = KeyResultFactory(objective=self.direct, title="Direct KR", source="tasks")
        KeyResultLink.objects.create(
            workspace=self.plan.world.workspace,
            item=self.plan.item_loose,
            key_result=self.direct_kr,
        )
        self.items = [self.plan.item_a, self.plan.item_b, self.plan.item_loose, None, self.spare]
        self.sprints = [self.plan.sprint, self.plan.next_sprint, None]
        self.key_results = [
            self.plan.from_work,
            self.plan.manual,
            self.plan.from_teams,
            self.direct_kr,
        ]
        # Each example runs in a savepoint rolled back at teardown: every run starts equal.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        rollups.recompute_all(self.plan.world.workspace)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    def tasks(self) -> list[Task]:
        return list(
            Task.objects.filter(workspace=self.plan.world.workspace)
            .select_related("team", "state", "sprint")
            .order_by("pk")
        )

    def pick(self, data: st.DataObject) -> Task | None:
        tasks = self.tasks()
        return data.draw(st.sampled_from(tasks)) if tasks else None

    @rule(
        item=st.integers(0, 4),
        sprint=st.integers(0, 2),
        estimate=ESTIMATES,
        category=st.sampled_from(CATEGORIES),
    )
    def create_task(self, item: int, sprint: int, estimate: str | None, category: str) -> None:
        chosen = self.sprints[sprint]
        with committed():
            task_services.task_create(
                actor=self.actor,
                team=self.plan.team,
                title="Work",
                state=state_of(self.plan.team, category),
                estimate=estimate,
                roadmap_item=self.items[item],
                sprint=chosen,
            )

    @rule(data=st.data(), category=st.sampled_from(CATEGORIES))
    def transition(self, data: st.DataObject, category: str) -> None:
        task = self.pick(data)
        if task is None:
            return
        with committed():
            task_services.task_transition(
                actor=self.actor, task=task, to_state=state_of(task.team, category)
            )

    @rule(data=st.data(), estimate=ESTIMATES)
    def estimate(self, data: st.DataObject, estimate: str | None) -> None:
        task = self.pick(data)
        if task is None:
            return
        with committed():
            task_services.task_update(actor=self.actor, task=task, estimate=estimate)

    @rule(data=st.data(), item=st.integers(0, 4))
    def relink_task(self, data: st.DataObject, item: int) -> None:
        task = self.pick(data)
        if task is None:
            return
        with committed():
            task_services.task_update(actor=self.actor, task=task, roadmap_item=self.items[item])

    @rule(data=st.data(), sprint=st.integers(0, 2))
    def move_to_sprint(self, data: st.DataObject, sprint: int) -> None:
        task = self.pick(data)
        if task is None or task.team_id != self.plan.team.pk:
            return
        with committed():
            task_services.task_update(actor=self.actor, task=task, sprint=self.sprints[sprint])

    @rule(data=st.data())
    def hand_to_other_team(self, data: st.DataObject) -> None:
        task = self.pick(data)
        if task is None:
            return
        team = self.other_team if task.team_id == self.plan.team.pk else self.plan.team
        with committed():
            task_services.task_move_to_team(actor=self.actor, task=task, team=team)

    @rule(item=st.integers(0, 2), kr=st.integers(0, 3), weight=st.sampled_from(["1", "2", "0.5"]))
    def link(self, item: int, kr: int, weight: str) -> None:
        with committed():
            roadmap_services.roadmap_item_link_key_result(
                actor=self.actor,
                item=self.items[item],
                key_result=self.key_results[kr],
                weight=Decimal(weight),
            )

    @rule(item=st.integers(0, 2), kr=st.integers(0, 3))
    def unlink(self, item: int, kr: int) -> None:
        chosen, key_result = self.items[item], self.key_results[kr]
        if not KeyResultLink.objects.filter(item=chosen, key_result=key_result).exists():
            return
        with committed():
            roadmap_services.roadmap_item_unlink_key_result(
                actor=self.actor, item=chosen, key_result=key_result
            )

    @rule(value=st.integers(0, 120), confidence=st.integers(0, 10))
    def check_in(self, value: int, confidence: int) -> None:
        self.plan.manual.refresh_from_db()
        if self.archived():  # refused: an archived objective's KRs take no check-ins
            return
        with committed():
            okr_services.key_result_check_in(
                actor=self.actor, key_result=self.plan.manual, value=value, confidence=confidence
            )

    @rule(aligned=st.booleans())
    def reparent(self, aligned: bool) -> None:
        objective = self.plan.team_objective
        objective.refresh_from_db()
        if self.archived():
            return
        with committed():
            okr_services.objective_reparent(
                actor=self.actor,
                objective=objective,
                parent=self.plan.company,
                parent_key_result=self.plan.from_teams if aligned else None,
            )

    @rule(parent=st.integers(0, 2))
    def realign_direct(self, parent: int) -> None:
        """Under the company, under the team objective (a level deeper) or nowhere."""
        self.direct.refresh_from_db()
        if self.direct.status == ObjectiveStatus.ARCHIVED:
            return
        chosen = [self.plan.company, self.plan.team_objective, None][parent]
        if chosen is not None:
            chosen.refresh_from_db()
            if chosen.status == ObjectiveStatus.ARCHIVED:
                return
        with committed():
            okr_services.objective_reparent(actor=self.actor, objective=self.direct, parent=chosen)

    @rule(weight=st.sampled_from(["0", "0.5", "1", "3"]))
    def reweight(self, weight: str) -> None:
        for objective in (self.direct, self.plan.team_objective):
            objective.refresh_from_db()
            if objective.status == ObjectiveStatus.ARCHIVED:
                continue
            with committed():
                okr_services.objective_update(actor=self.actor, objective=objective, weight=weight)

    @rule(archive=st.booleans())
    def archive_or_restore_direct(self, archive: bool) -> None:
        self.direct.refresh_from_db()
        with committed():
            if archive:
                okr_services.objective_archive(actor=self.actor, objective=self.direct)
            else:
                okr_services.objective_update(
                    actor=self.actor, objective=self.direct, status=ObjectiveStatus.ACTIVE
                )

    def archived(self) -> bool:
        self.plan.team_objective.refresh_from_db()
        return self.plan.team_objective.status == ObjectiveStatus.ARCHIVED

    @rule()
    def delete_spare_item(self) -> None:
        if self.spare is None:
            return
        with committed():
            roadmap_services.roadmap_item_delete(actor=self.actor, item=self.spare)
        self.spare = self.items[4] = None

    @rule(archive=st.booleans())
    def archive_or_restore(self, archive: bool) -> None:
        """Archiving changes which work counts as aligned and what the parent KR averages."""
        objective = self.plan.team_objective
        objective.refresh_from_db()
        with committed():
            if archive:
                okr_services.objective_archive(actor=self.actor, objective=objective)
            else:
                okr_services.objective_update(
                    actor=self.actor, objective=objective, status=ObjectiveStatus.ACTIVE
                )

    @invariant()
    def incremental_equals_full(self) -> None:
        workspace = self.plan.world.workspace
        full = {key: rollups.comparable(row) for key, row in rollups.compute_all(workspace).items()}
        stored = {
            (row.kind, row.node_id): rollups.comparable(row)
            for row in Rollup.objects.filter(workspace=workspace)
        }
        assert stored == full


def test_incremental_rollups_equal_a_full_recompute(plan: Plan):
    RollupMachine.plan = plan
    RollupMachine.other_team = TeamFactory(workspace=plan.world.workspace, name="Design", key="DES")
    run_state_machine_as_test(
        RollupMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
