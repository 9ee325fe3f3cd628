"""Objectives aligned under an objective (`Objective.parent`) roll up into it."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from alignment import events
from dashboards import rollups
from okrs import services as okr_services
from okrs.models import KeyResult, Objective
from readmodel.models import Rollup
from roadmaps.models import KeyResultLink
from tasks import services as task_services
from tasks.models import StateCategory as C
from tasks.models import Task
from tests.dashboards.conftest import Plan
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.factories.work import state_of

pytestmark = pytest.mark.django_db


def row(kind: str, node_id: int) -> Rollup:
    return Rollup.objects.get(kind=kind, node_id=node_id)


def committed():
    return TestCase.captureOnCommitCallbacks(execute=True)


def assert_stored_equals_full(plan: Plan) -> None:
    workspace = plan.world.workspace
    full = {key: rollups.comparable(r) for key, r in rollups.compute_all(workspace).items()}
    stored = {
        (r.kind, r.node_id): rollups.comparable(r)
        for r in Rollup.objects.filter(workspace=workspace)
    }
    assert stored == full


def aligned_under(
    plan: Plan, parent: Objective, title: str, item=None
) -> tuple[Objective, KeyResult]:
    """An objective aligned directly under `parent` (no parent KR), with a task-fed KR."""
    objective = ObjectiveFactory(
        period=plan.period, team=plan.team, parent=parent, title=title, weight=Decimal("1")
    )
    key_result = KeyResultFactory(objective=objective, title=f"{title} KR", source="tasks")
    if item is not None:
        KeyResultLink.objects.create(
            workspace=plan.world.workspace, item=item, key_result=key_result, weight=1
        )
    return objective, key_result


@pytest.fixture
def without_subscribers(monkeypatch):
    monkeypatch.setattr(events, "_in_transaction_handlers", defaultdict(list))


def test_company_objective_moves_when_work_under_an_aligned_team_objective_is_done(plan: Plan):
    direct, _ = aligned_under(plan, plan.company, "Cut churn", item=plan.item_loose)
    task = plan.task(item=plan.item_loose, estimate="2", category=C.UNSTARTED)
    rollups.recompute_all(plan.world.workspace)
    # Company: from_work 0 (×2), from_teams 0.5 (×1), "Cut churn" 0 (×1) → 0.5 / 4.
    company = row("objective", plan.company.pk)
    assert (company.progress, company.basis) == (Decimal("0.1250"), "key_results_and_children")
    assert company.inputs == [
        ["key_result", plan.from_work.pk],
        ["key_result", plan.from_teams.pk],
        ["objective", direct.pk],
    ]
    assert {
        "code": "progress_basis",
        "numbers": {"key_results": 2.0, "objectives": 1.0},
        "objects": [["objective", plan.company.pk]],
    } in company.reasons
    with committed():
        task_services.task_transition(
            actor=plan.world.member, task=task, to_state=state_of(plan.team, C.DONE)
        )
    assert row("objective", direct.pk).progress == Decimal("1.0000")
    assert row("objective", plan.company.pk).progress == Decimal("0.3750")
    assert_stored_equals_full(plan)


def test_the_aligned_objectives_weight_is_its_weight_in_the_parent(plan: Plan):
    direct, _ = aligned_under(plan, plan.company, "Cut churn", item=plan.item_loose)
    plan.task(item=plan.item_loose, estimate="2", category=C.DONE)
    rollups.recompute_all(plan.world.workspace)
    assert row("objective", plan.company.pk).progress == Decimal("0.3750")
    with committed():
        okr_services.objective_update(actor=plan.world.admin, objective=direct, weight="0")
    # Weight 0: (2 × 0 + 1 × 0.5 + 0 × 1) / 3
    assert row("objective", plan.company.pk).progress == Decimal("0.1667")
    assert_stored_equals_full(plan)


def test_an_objective_aligned_through_a_children_kr_counts_only_there(plan: Plan):
    rollups.recompute_all(plan.world.workspace)
    company = row("objective", plan.company.pk)
    assert company.basis == "key_results"
    assert ["objective", plan.team_objective.pk] not in company.inputs
    assert row("key_result", plan.from_teams.pk).inputs == [["objective", plan.team_objective.pk]]


def test_realigning_an_objective_refreshes_its_old_and_new_parent(plan: Plan):
    other = ObjectiveFactory(period=plan.period, level="company", team=None, title="Be loved")
    direct, _ = aligned_under(plan, plan.company, "Cut churn", item=plan.item_loose)
    plan.task(item=plan.item_loose, estimate="2", category=C.DONE)
    rollups.recompute_all(plan.world.workspace)
    assert row("objective", other.pk).basis == "none"
    with committed():
        okr_services.objective_reparent(actor=plan.world.admin, objective=direct, parent=other)
    assert row("objective", other.pk).progress == Decimal("1.0000")
    assert row("objective", other.pk).basis == "children"
    assert row("objective", plan.company.pk).progress == Decimal("0.1667")
    assert_stored_equals_full(plan)


def test_archiving_an_aligned_objective_takes_it_out_of_its_parent(plan: Plan):
    direct, _ = aligned_under(plan, plan.company, "Cut churn", item=plan.item_loose)
    plan.task(item=plan.item_loose, estimate="2", category=C.DONE)
    rollups.recompute_all(plan.world.workspace)
    with committed():
        okr_services.objective_archive(actor=plan.world.admin, objective=direct)
    assert row("objective", plan.company.pk).basis == "key_results"
    assert_stored_equals_full(plan)


def test_work_seeding_two_levels_of_one_chain_leaves_the_top_current(plan: Plan):
    """A task under an item linked to the company's KR and to a KR two levels below: the
    company is built in the first round, then again once its child changed."""
    direct, _ = aligned_under(plan, plan.company, "Cut churn")
    deep, _ = aligned_under(plan, direct, "Win back accounts", item=plan.item_a)
    task = plan.task(item=plan.item_a, estimate="2", category=C.UNSTARTED)
    rollups.recompute_all(plan.world.workspace)
    Task.objects.filter(pk=task.pk).update(state=state_of(plan.team, C.DONE), state_category=C.DONE)
    rollups.refresh_ancestors_of_task(task.pk)
    assert row("objective", deep.pk).progress == Decimal("1.0000")
    # "Cut churn": its own KR (no linked work: 0) and "Win back accounts" (1.0).
    assert row("objective", direct.pk).progress == Decimal("0.5000")
    # from_work 1.0 (×2), from_teams 0.5 (×1), "Cut churn" 0.5 (×1) → 3 / 4
    assert row("objective", plan.company.pk).progress == Decimal("0.7500")
    assert_stored_equals_full(plan)


def test_each_aligned_level_above_a_task_costs_the_same_few_queries(
    plan: Plan, without_subscribers
):
    direct, _ = aligned_under(plan, plan.company, "Cut churn", item=plan.item_b)
    deep, _ = aligned_under(plan, direct, "Win back accounts", item=plan.item_loose)
    one = plan.task(item=plan.item_b, estimate="3", category=C.DONE)  # direct, company
    two = plan.task(item=plan.item_loose, estimate="3", category=C.DONE)  # deep, direct, company
    rollups.recompute_all(plan.world.workspace)
    counts = []
    for task in (one, two):
        Task.objects.filter(pk=task.pk).update(estimate=Decimal("5"))
        with CaptureQueriesContext(connection) as captured:
            rollups.refresh_ancestors_of_task(task.pk)
        counts.append(len(captured))
    # The first task's item feeds "Cut churn" and the company (via from_work): one round.
    # The second's: "Win back accounts", then "Cut churn", then the company: two more
    # rounds, each its objectives' query, the objectives aligned under them, stored rows.
    assert 0 < counts[1] - counts[0] <= 2 * 3
    assert_stored_equals_full(plan)


def test_a_forbidden_alignment_cycle_does_not_loop(plan: Plan):
    direct, _ = aligned_under(plan, plan.company, "Cut churn", item=plan.item_loose)
    # Written behind the services' back: they refuse cycles.
    Objective.objects.filter(pk=plan.company.pk).update(parent=direct)
    task = plan.task(item=plan.item_loose, estimate="2", category=C.DONE)
    rollups.recompute_all(plan.world.workspace)
    rollups.refresh_ancestors_of_task(task.pk)
    assert 0 <= row("objective", plan.company.pk).progress <= 1


def test_backfilled_snapshots_count_aligned_objectives(plan: Plan, today):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from dashboards import snapshots
    from dashboards.models import Snapshot

    direct, _ = aligned_under(plan, plan.company, "Cut churn", item=plan.item_loose)
    long_ago = timezone.make_aware(datetime.combine(today - timedelta(days=30), time(12)))
    Objective.objects.update(created_at=long_ago)
    KeyResult.objects.update(created_at=long_ago)
    snapshots.backfill(plan.world.workspace, days=1, today=today)
    yesterday = today - timedelta(days=1)
    company = Snapshot.objects.get(kind="objective", node_id=plan.company.pk, day=yesterday)
    # from_work 0 (×2), from_teams 0.5 (×1), "Cut churn" 0 (×1): 0.5 / 4, not 0.5 / 3.
    assert company.progress == Decimal("0.1250")
