"""Drift and risk findings: each with its numbers, its evidence and a sentence naming them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards import drift, rollups
from dashboards.models import Finding
from dashboards.reasons import Names, finding_keys, finding_sentence, shown
from tasks.models import StateCategory as C
from tasks.models import TaskDependency
from tests.dashboards.conftest import Plan
from tests.factories import TeamFactory
from tests.factories.work import state_history

pytestmark = pytest.mark.django_db


def findings(plan: Plan, code: str) -> list[Finding]:
    rollups.recompute_all(plan.world.workspace)
    drift.refresh_findings(plan.world.workspace)
    return list(Finding.objects.filter(workspace=plan.world.workspace, code=code))


def test_sprint_with_little_aligned_work_is_flagged_with_its_unaligned_tasks(plan: Plan):
    plan.task(item=plan.item_a, estimate="3", category=C.DONE, sprint=plan.sprint)
    loose = plan.task(item=plan.item_loose, estimate="2", category=C.UNSTARTED, sprint=plan.sprint)
    bare = plan.task(item=None, estimate="5", category=C.STARTED, sprint=plan.sprint)
    [finding] = findings(plan, "low_alignment")
    assert (finding.subject_kind, finding.subject_id, finding.severity) == (
        "sprint",
        plan.sprint.pk,
        "at_risk",
    )
    assert finding.numbers == {
        "ratio": 0.3,
        "minimum": 0.6,
        "aligned_points": 3.0,
        "total_points": 10.0,
        "unaligned_count": 2.0,
    }
    assert finding.evidence == [["team", plan.team.pk], ["task", bare.pk], ["task", loose.pk]]


def test_the_alignment_minimum_is_a_workspace_setting(plan: Plan):
    plan.world.workspace.settings = {"dashboards": {"alignment_min": 0.25}}
    plan.world.workspace.save()
    plan.task(item=plan.item_a, estimate="3", category=C.DONE, sprint=plan.sprint)
    plan.task(item=None, estimate="7", category=C.STARTED, sprint=plan.sprint)
    assert findings(plan, "low_alignment") == []


def test_kr_behind_pace_carries_the_pace_numbers(plan: Plan):
    plan.task(item=plan.item_a, estimate="3", category=C.UNSTARTED)
    [finding] = findings(plan, "kr_behind_pace")
    assert (finding.subject_id, finding.severity) == (plan.from_work.pk, "off_track")
    assert finding.numbers == {"progress": 0.0, "expected": 0.5, "gap": -0.5}
    assert finding.evidence == [["objective", plan.company.pk]]


def test_kr_without_a_recent_check_in_is_flagged(plan: Plan):
    plan.manual.last_check_in_at = timezone.now() - timedelta(days=20)
    plan.manual.save()
    [finding] = findings(plan, "kr_no_check_in")
    assert (finding.subject_id, finding.numbers) == (
        plan.manual.pk,
        {"days": 20.0, "limit": 14.0, "never": 0.0},
    )


def test_objective_with_no_linked_or_aligned_work_is_flagged(plan: Plan):
    [finding] = findings(plan, "objective_without_work")
    assert finding.subject_id == plan.team_objective.pk


def test_overdue_item_lists_its_open_tasks(plan: Plan):
    open_task = plan.task(item=plan.item_loose, estimate="2", category=C.STARTED)
    plan.task(item=plan.item_loose, estimate="2", category=C.DONE)
    [finding] = findings(plan, "item_overdue")
    assert finding.subject_id == plan.item_loose.pk
    assert finding.evidence == [["task", open_task.pk]]
    assert finding.numbers["days_late"] == 3.0


def test_a_chain_blocked_across_teams_is_one_finding_about_the_task_to_unblock_first(plan: Plan):
    design = TeamFactory(workspace=plan.world.workspace, name="Design", key="DES")
    waiting = plan.task(item=None, estimate="1", category=C.UNSTARTED)
    mockups = plan.task(item=None, estimate="2", category=C.STARTED, team=design)
    research = plan.task(item=None, estimate="3", category=C.STARTED, team=design)
    ws = plan.world.workspace
    TaskDependency.objects.create(workspace=ws, blocking=mockups, blocked=waiting)
    TaskDependency.objects.create(workspace=ws, blocking=research, blocked=mockups)
    found = findings(plan, "blocked_chain")
    assert [(f.subject_id, f.severity) for f in found] == [(research.pk, "off_track")]
    assert found[0].evidence == [
        ["team", plan.team.pk],
        ["team", design.pk],
        ["task", waiting.pk],
        ["task", mockups.pk],
    ]
    assert found[0].numbers == {
        "tasks": 3.0,
        "blocked": 2.0,
        "depth": 2.0,
        "teams": 2.0,
        "points": 3.0,
    }


def test_scope_added_beyond_the_limit_is_flagged_with_the_added_tasks(plan: Plan):
    started = plan.sprint.started_at
    committed = plan.task(item=plan.item_a, estimate="5", category=C.STARTED, sprint=plan.sprint)
    added = plan.task(item=plan.item_a, estimate="3", category=C.UNSTARTED, sprint=plan.sprint)
    state_history(committed, (started - timedelta(days=1), plan.sprint.pk, "5", C.UNSTARTED))
    state_history(added, (started + timedelta(days=2), plan.sprint.pk, "3", C.UNSTARTED))
    [finding] = findings(plan, "scope_added")
    assert (finding.subject_id, finding.numbers["share"]) == (plan.sprint.pk, 0.6)
    assert finding.evidence == [["team", plan.team.pk], ["task", added.pk]]
    assert float(finding.points) == 3.0


def test_finding_sentence_names_the_subject_and_every_evidence_record_links(plan: Plan):
    plan.task(item=plan.item_a, estimate="3", category=C.DONE, sprint=plan.sprint)
    plan.task(item=None, estimate="7", category=C.STARTED, sprint=plan.sprint)
    [finding] = findings(plan, "low_alignment")
    names = Names.load(plan.world.workspace, finding_keys([finding]))
    assert finding_sentence(finding, names) == (
        "Only 30% of “Sprint 1”'s points (3 of 10) trace to an active key result; the minimum "
        "is 60%. Not aligned: 1 task."
    )
    [item] = shown([finding], names)
    assert [link.kind for link in item.evidence] == ["team", "task"]
