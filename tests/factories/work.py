"""Factories of roadmaps and tasks. Children take their workspace from their parent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.db import transaction

from alignment.models import Team, Workspace
from okrs.models import KeyResult, Objective, Period
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemDependency
from tasks import ranking
from tasks.models import (
    Label,
    Sprint,
    StateCategory,
    Task,
    TaskComment,
    TaskDependency,
    TaskEvent,
    WorkflowState,
)
from tasks.services.core import last_rank, next_number
from tests.factories.core import TeamFactory, WorkspaceFactory


def state_of(team: Team, category: str = StateCategory.BACKLOG) -> WorkflowState:
    """The team's first workflow state of a category (teams get the default set)."""
    return WorkflowState.objects.filter(team=team, category=category).order_by("position")[0]


def key_result_in(workspace: Workspace, title: str = "Cut churn") -> KeyResult:
    """A key result with its objective and period, for linking work to."""
    period, _ = Period.objects.get_or_create(
        workspace=workspace,
        name="Q1",
        defaults={"start": date(2026, 1, 1), "end": date(2026, 3, 31)},
    )
    objective = Objective.objects.create(
        workspace=workspace, period=period, title=f"Objective of {title}", level="company"
    )
    return KeyResult.objects.create(
        workspace=workspace,
        objective=objective,
        title=title,
        baseline=Decimal("0"),
        target=Decimal("10"),
    )


class RoadmapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Roadmap

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Roadmap {n}")


class RoadmapItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoadmapItem

    roadmap = factory.SubFactory(RoadmapFactory)
    workspace = factory.SelfAttribute("roadmap.workspace")
    title = factory.Sequence(lambda n: f"Initiative {n}")
    kind = "epic"
    start_date = date(2026, 1, 5)
    target_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=40))


class KeyResultLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResultLink

    item = factory.SubFactory(RoadmapItemFactory)
    workspace = factory.SelfAttribute("item.workspace")
    key_result = factory.LazyAttribute(lambda o: key_result_in(o.workspace))
    weight = Decimal("1")


class RoadmapItemDependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoadmapItemDependency

    blocking = factory.SubFactory(RoadmapItemFactory)
    workspace = factory.SelfAttribute("blocking.workspace")
    blocked = factory.SubFactory(
        RoadmapItemFactory, roadmap=factory.SelfAttribute("..blocking.roadmap")
    )


class SprintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sprint

    team = factory.SubFactory(TeamFactory)
    workspace = factory.SelfAttribute("team.workspace")
    name = factory.Sequence(lambda n: f"Sprint {n}")
    start_date = date(2026, 1, 5)
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=13))
    status = "planned"


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"label-{n}")


class TaskFactory(factory.django.DjangoModelFactory):
    """A task with the team's next number and the last rank, like task_create gives."""

    class Meta:
        model = Task

    team = factory.SubFactory(TeamFactory)
    workspace = factory.SelfAttribute("team.workspace")
    title = factory.Sequence(lambda n: f"Task number {n}")
    state = factory.LazyAttribute(lambda o: state_of(o.team))
    state_category = factory.LazyAttribute(lambda o: o.state.category)

    @classmethod
    def _create(cls, model_class: type[Task], *args: Any, **kwargs: Any) -> Task:
        team = kwargs["team"]
        # next_number locks the counter row, which PostgreSQL allows only inside a
        # transaction; transactional (live-server) tests run in autocommit.
        with transaction.atomic():
            kwargs.setdefault("number", next_number(team))
            kwargs.setdefault("rank", ranking.key_between(last_rank(team), None))
            return super()._create(model_class, *args, **kwargs)


class TaskDependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskDependency

    blocking = factory.SubFactory(TaskFactory)
    workspace = factory.SelfAttribute("blocking.workspace")
    blocked = factory.SubFactory(TaskFactory, team=factory.SelfAttribute("..blocking.team"))


class TaskCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskComment

    task = factory.SubFactory(TaskFactory)
    workspace = factory.SelfAttribute("task.workspace")
    body = "A comment."


def sprint_day(day: int, hour: int = 12) -> datetime:
    """Day `day` of a fixed calendar in the past (2026-03-02 is day 0), for sprint histories."""
    return datetime(2026, 3, 2, hour, tzinfo=UTC) + timedelta(days=day)


def state_history(task: Task, *moments: tuple[datetime, int | None, str, str]) -> None:
    """Write a task's history as (when, sprint id, estimate, state category) state events."""
    for when, sprint_id, estimate, category in moments:
        TaskEvent.objects.create(
            workspace=task.workspace,
            task=task,
            kind="state",
            sprint_id=sprint_id,
            estimate=Decimal(estimate),
            state_category=category,
            created_at=when,
        )


def ranked_tasks(
    team: Team, state: WorkflowState, n: int, *, title: str = "Task", **fields: Any
) -> list[Task]:
    """`n` tasks of `team` in `state` ("<title> 0", "<title> 1", …), appended in rank order
    after the team's last, in one bulk insert (no events): for pages and queries that need
    many rows, not for behaviour."""
    rank = last_rank(team) or ranking.INTEGER_ZERO
    numbers = Task.all_objects.filter(team=team).order_by("-number")
    first = (numbers.values_list("number", flat=True).first() or 0) + 1
    rows = []
    for i in range(n):
        rank = ranking.key_between(rank, None)
        rows.append(
            Task(
                workspace=team.workspace,
                team=team,
                number=first + i,
                title=f"{title} {i}",
                state=state,
                state_category=state.category,
                rank=rank,
                **fields,
            )
        )
    return Task.objects.bulk_create(rows, batch_size=1000)
