"""A small planned world for the dashboards: OKRs aligned two levels deep, linked work, sprints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alignment.models import Team
from okrs.models import KeyResult, Objective, Period
from roadmaps.models import KeyResultLink, RoadmapItem
from tasks.models import Sprint, StateCategory, Task, WorkflowState
from tests.conftest import World
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import (
    RoadmapFactory,
    RoadmapItemFactory,
    SprintFactory,
    TaskFactory,
    state_of,
)


@dataclass
class Plan:
    world: World
    period: Period
    company: Objective  # KRs: from_work (tasks, weight 2) and from_teams (children, weight 1)
    from_work: KeyResult
    from_teams: KeyResult
    team_objective: Objective  # aligned under from_teams; KR: manual (0 → 100, at 50)
    manual: KeyResult
    item_a: RoadmapItem  # linked to from_work ×1
    item_b: RoadmapItem  # linked to from_work ×3
    item_loose: RoadmapItem  # linked to nothing
    sprint: Sprint  # active
    next_sprint: Sprint  # planned
    team: Team
    states: dict[str, WorkflowState]

    def task(
        self,
        *,
        item: RoadmapItem | None,
        estimate: str | None,
        category: str,
        sprint: Sprint | None = None,
        team: Team | None = None,
    ) -> Task:
        team = team or self.team
        state = state_of(team, category)
        return TaskFactory(
            team=team,
            roadmap_item=item,
            estimate=Decimal(estimate) if estimate is not None else None,
            state=state,
            state_category=category,
            sprint=sprint,
        )


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def plan(world: World, today) -> Plan:
    ws = world.workspace
    period = PeriodFactory(
        workspace=ws,
        name="This quarter",
        start=today - timedelta(days=45),
        end=today + timedelta(days=45),
    )
    company = ObjectiveFactory(period=period, level="company", team=None, title="Win the market")
    from_work = KeyResultFactory(
        objective=company,
        title="Ship the platform",
        source="tasks",
        weight=Decimal("2"),
        position=0,
    )
    from_teams = KeyResultFactory(
        objective=company,
        title="Teams deliver",
        source="children",
        weight=Decimal("1"),
        position=1,
    )
    team_objective = ObjectiveFactory(
        period=period,
        team=world.team,
        parent=company,
        parent_key_result=from_teams,
        title="Faster onboarding",
    )
    manual = KeyResultFactory(
        objective=team_objective,
        title="Activation to 100",
        current=Decimal("50"),
        confidence=7,
        last_check_in_at=timezone.now(),
    )
    roadmap = RoadmapFactory(workspace=ws)
    item_a = RoadmapItemFactory(
        roadmap=roadmap,
        title="Billing revamp",
        start_date=today - timedelta(days=20),
        target_date=today + timedelta(days=20),
    )
    item_b = RoadmapItemFactory(
        roadmap=roadmap,
        title="Self-serve signup",
        start_date=today - timedelta(days=20),
        target_date=today + timedelta(days=20),
    )
    item_loose = RoadmapItemFactory(
        roadmap=roadmap,
        title="Office move",
        start_date=today - timedelta(days=30),
        target_date=today - timedelta(days=3),
    )
    KeyResultLink.objects.create(workspace=ws, item=item_a, key_result=from_work, weight=1)
    KeyResultLink.objects.create(workspace=ws, item=item_b, key_result=from_work, weight=3)
    sprint = SprintFactory(
        team=world.team,
        name="Sprint 1",
        start_date=today - timedelta(days=7),
        end_date=today + timedelta(days=6),
        status="active",
        started_at=timezone.make_aware(datetime.combine(today - timedelta(days=7), time(9))),
    )
    next_sprint = SprintFactory(
        team=world.team,
        name="Sprint 2",
        start_date=today + timedelta(days=7),
        end_date=today + timedelta(days=20),
    )
    states = {c: state_of(world.team, c) for c in StateCategory.values}
    return Plan(
        world=world,
        period=period,
        company=company,
        from_work=from_work,
        from_teams=from_teams,
        team_objective=team_objective,
        manual=manual,
        item_a=item_a,
        item_b=item_b,
        item_loose=item_loose,
        sprint=sprint,
        next_sprint=next_sprint,
        team=world.team,
        states=states,
    )
