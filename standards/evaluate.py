"""Judging tasks and key results against the standards their teams follow (read side).

`evaluate_task` is the public entry point for other apps (automation rules ask "does this task
meet Definition of Done?" through it); the gate (standards.gate) and the pages use the same
functions, so a card, the task page, the API's 409 and a rule can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from okrs.models import KeyResult
from standards.checks import CheckResult, Facts, run_checks
from standards.facts import facts_for_tasks, key_result_facts, task_facts
from standards.models import Adoption, Mode, Standard, Subject
from tasks.models import StateCategory, Task

# The order a task meets gates in, so a card shows the next one ahead of it.
GATE_ORDER = [StateCategory.UNSTARTED, StateCategory.STARTED, StateCategory.DONE]


@dataclass
class StandardResult:
    standard: Standard
    results: list[CheckResult]
    waived: bool = False
    waiver_reason: str = ""

    @property
    def failing(self) -> list[CheckResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return self.waived or not self.failing

    @property
    def blocks(self) -> bool:
        return not self.ok and self.standard.mode == Mode.BLOCK

    def failing_json(self) -> list[dict[str, Any]]:
        return [r.as_json(self.standard.key, self.standard.name) for r in self.failing]


@dataclass
class TaskStandards:
    """A task against every task standard its team adopted; `gate` filters to one category."""

    task: Task
    standards: list[StandardResult] = field(default_factory=list)

    def for_gate(self, category: str) -> list[StandardResult]:
        return [s for s in self.standards if s.standard.gate == category]

    @property
    def next_gate(self) -> str | None:
        """The first gated category ahead of the task (none once it is closed)."""
        if self.task.state_category not in GATE_ORDER:
            start = 0 if self.task.state_category == StateCategory.BACKLOG else len(GATE_ORDER)
        else:
            start = GATE_ORDER.index(StateCategory(self.task.state_category)) + 1
        for category in GATE_ORDER[start:]:
            if self.for_gate(category):
                return category
        return None

    @property
    def ahead(self) -> list[StandardResult]:
        """The standards of the next gate: what a card and the task page show."""
        gate = self.next_gate
        return self.for_gate(gate) if gate else []


def adoptions_of(team_ids: Iterable[int], subject: str = Subject.TASK) -> list[Adoption]:
    return list(
        Adoption.objects.filter(team_id__in=set(team_ids), standard__subject=subject)
        .select_related("standard")
        .order_by("standard__gate", "standard__name", "standard_id")
    )


def _judge(adoption: Adoption, facts: Facts) -> StandardResult:
    return StandardResult(
        standard=adoption.standard,
        results=run_checks(adoption.standard.checks, facts),
        waived=adoption.is_waived,
        waiver_reason=adoption.waiver_reason,
    )


def evaluate_task(
    task: Task, *, slug: str, gate: str | None = None, standards: Sequence[str] | None = None
) -> TaskStandards:
    """`task` against its team's adopted task standards (only those gating `gate`, or with
    the keys in `standards`, when given). Reads the task as it is in memory."""
    judged = TaskStandards(task=task)
    adoptions = [
        a
        for a in adoptions_of([task.team_id])
        if (gate is None or a.standard.gate == gate)
        and (standards is None or a.standard.key in standards)
    ]
    if not adoptions:
        return judged  # one query for a move no standard gates: the facts are not loaded
    facts = task_facts(task, slug=slug)
    judged.standards = [_judge(a, facts) for a in adoptions]
    return judged


def evaluate_tasks(
    workspace_id: int, tasks: Sequence[Task], *, slug: str
) -> dict[int, TaskStandards]:
    """A page of tasks (a board) against their teams' standards, in a fixed number of queries."""
    tasks = list(tasks)
    if not tasks:
        return {}
    by_team: dict[int, list[Adoption]] = {}
    for adoption in adoptions_of({t.team_id for t in tasks}):
        by_team.setdefault(adoption.team_id, []).append(adoption)
    wanted = [t for t in tasks if by_team.get(t.team_id)]
    facts = facts_for_tasks(workspace_id, wanted, slug=slug)
    return {
        t.pk: TaskStandards(
            task=t, standards=[_judge(a, facts[t.pk]) for a in by_team.get(t.team_id, [])]
        )
        for t in wanted
    }


def evaluate_key_result(
    key_result: KeyResult, standard: Standard, *, slug: str, today: date | None = None
) -> StandardResult:
    facts = key_result_facts(key_result, slug=slug, today=today or timezone.localdate())
    return StandardResult(standard=standard, results=run_checks(standard.checks, facts))
