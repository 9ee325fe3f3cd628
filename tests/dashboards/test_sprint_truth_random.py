"""Random sprint histories: sprint close, the sprint API, team metrics and the burndown report
the same committed / added after start / completed / carried over counts and points.

Each case drives the real services (create in the sprint or the backlog, move in and out,
re-estimate, start, complete, reopen, cancel, merge, then close with carry-over through the
API) on a pinned clock that moves one hour per operation. An oracle that only looks at the
tasks' current rows after each operation (never at `TaskEvent`) says what the numbers must be.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from tasks import services
from tasks.models import Sprint, SprintStatus, Task
from tasks.models import StateCategory as C
from tasks.services.rules import UNSET
from tasks.sprint_scope import sprint_scope
from tests.conftest import World
from tests.dashboards.sprint_truth import (
    Numbers,
    burndown_end,
    close_through_api,
    from_api,
    from_flow,
    from_scope,
    scope_through_api,
    team_flow,
)
from tests.factories.work import SprintFactory, state_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workspaces/acme-inc"
START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday: the sprint starts here
ESTIMATES = [None, 1, 2, 3, 5, 8]


@dataclass
class Oracle:
    """Expected numbers from the tasks' current rows, sampled after every operation."""

    sprint_id: int
    started: bool = False
    committed: dict[int, Decimal] = field(default_factory=dict)
    added: dict[int, Decimal] = field(default_factory=dict)

    def rows(self) -> list[tuple[int, int | None, Decimal, str, bool]]:
        return [
            (pk, sprint_id, estimate or Decimal(0), category, merged is not None)
            for pk, sprint_id, estimate, category, merged in Task.all_objects.values_list(
                "pk", "sprint_id", "estimate", "state_category", "merged_into"
            )
        ]

    def in_scope(self) -> dict[int, tuple[Decimal, str]]:
        return {
            pk: (estimate, category)
            for pk, sprint_id, estimate, category, merged in self.rows()
            if sprint_id == self.sprint_id and not merged and category != C.CANCELED
        }

    def start(self) -> None:
        self.started = True
        self.committed = {pk: estimate for pk, (estimate, _) in self.in_scope().items()}

    def observe(self) -> None:
        if not self.started:
            return
        for pk, (estimate, _) in self.in_scope().items():
            if pk not in self.committed and pk not in self.added:
                self.added[pk] = estimate

    def numbers(self) -> Numbers:
        scope = self.in_scope()
        done = {pk: e for pk, (e, category) in scope.items() if category == C.DONE}
        open_ = {pk: e for pk, (e, category) in scope.items() if category != C.DONE}
        return {
            "committed": (len(self.committed), float(sum(self.committed.values()))),
            "added": (len(self.added), float(sum(self.added.values()))),
            "completed": (len(done), float(sum(done.values()))),
            "carried": (len(open_), float(sum(open_.values()))),
        }


class Driver:
    """Applies random operations through the services."""

    def __init__(self, world: World, sprint: Sprint, after: Sprint, rng: random.Random) -> None:
        self.world, self.sprint, self.after, self.rng = world, sprint, after, rng
        self.states = {c: state_of(world.team, c) for c in C.values}
        self.applied: list[str] = []

    def live(self) -> list[Task]:
        return list(Task.objects.filter(team=self.world.team).order_by("pk"))

    def step(self) -> None:
        rng, actor, tasks = self.rng, self.world.member, self.live()
        ops = ["create_in_sprint", "create_in_backlog"]
        if tasks:
            ops += ["move_in", "move_out", "estimate", "start", "complete", "reopen", "cancel"]
        if len(tasks) >= 2:
            ops.append("merge")
        op = rng.choice(ops)
        self.applied.append(op)
        estimate = rng.choice(ESTIMATES)
        if op in ("create_in_sprint", "create_in_backlog"):
            services.task_create(
                actor=actor,
                team=self.world.team,
                title=f"Task {len(self.applied)}",
                estimate=estimate,
                sprint=self.sprint if op == "create_in_sprint" else None,
            )
            return
        task = rng.choice(tasks)
        if op == "move_in":
            services.task_update(actor=actor, task=task, sprint=self.sprint)
        elif op == "move_out":
            services.task_update(actor=actor, task=task, sprint=rng.choice([None, self.after]))
        elif op == "estimate":
            services.task_update(actor=actor, task=task, estimate=estimate)
        elif op == "merge":
            into = rng.choice([t for t in tasks if t.pk != task.pk])
            services.task_merge(actor=actor, source=task, into=into)
        else:
            category = {"start": C.STARTED, "complete": C.DONE, "cancel": C.CANCELED}.get(
                op, C.UNSTARTED
            )
            services.task_transition(actor=actor, task=task, to_state=self.states[category])


@pytest.mark.parametrize("seed", range(24))
def test_every_surface_reports_the_same_sprint_numbers(world, member_api, seed):
    rng = random.Random(seed)
    sprint = SprintFactory(
        team=world.team, name="Now", start_date=START.date(), end_date=START.date() + timedelta(13)
    )
    after = SprintFactory(
        team=world.team,
        name="Next",
        start_date=START.date() + timedelta(14),
        end_date=START.date() + timedelta(27),
    )
    driver, oracle = Driver(world, sprint, after, rng), Oracle(sprint.pk)
    clock = START - timedelta(hours=rng.randint(8, 20))
    for _ in range(rng.randint(2, 7)):
        clock += timedelta(hours=1)
        with time_machine.travel(clock, tick=False):
            driver.step()
    with time_machine.travel(START, tick=False):
        services.sprint_start(actor=world.member, sprint=sprint)
    oracle.start()
    clock = START
    for _ in range(rng.randint(4, 22)):
        clock += timedelta(hours=rng.choice([1, 3, 20]))
        with time_machine.travel(clock, tick=False):
            driver.step()
        oracle.observe()
    expected = oracle.numbers()
    sprint.refresh_from_db()

    # While it runs: "carried" is what a close would carry now (open work).
    assert from_scope(sprint_scope(sprint, as_of=clock)) == expected, driver.applied
    assert from_flow(team_flow(sprint, now=clock)) == expected
    running = sprint_scope(sprint, as_of=clock)
    assert burndown_end(sprint, now=clock) == (
        float(running.scope.points),
        float(running.completed.points),
        float(running.open.points),
    )

    closed_at = clock + timedelta(hours=1)
    carry_to = rng.choice([after.pk, None, UNSET])
    body = {} if carry_to is UNSET else {"carry_to": carry_to}
    with time_machine.travel(closed_at, tick=False):
        closed = close_through_api(member_api, BASE, sprint, body)
    sprint.refresh_from_db()
    assert sprint.status == SprintStatus.CLOSED
    later = closed_at + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        api = scope_through_api(member_api, BASE, sprint)

    carried = closed["carried_over"]
    listed = (len(carried), float(sum(Decimal(str(c["estimate"] or 0)) for c in carried)))
    assert listed == expected["carried"], driver.applied
    assert from_api(closed["scope"]) == expected
    assert from_api(api) == expected
    assert from_flow(team_flow(sprint, now=later)) == expected
    completed, carried_points = expected["completed"][1], expected["carried"][1]
    assert burndown_end(sprint, now=later) == (
        completed + carried_points,
        completed,
        carried_points,
    )
    # The books balance: committed + added - removed = completed + carried over.
    final = sprint_scope(sprint, as_of=later)
    assert (
        final.committed.count + final.added.count - final.removed.count
        == final.completed.count + final.carried_over.count
    )
    assert final.committed.points + final.added.points - final.removed.points + (
        final.reestimated_points
    ) == (final.completed.points + final.carried_over.points)
