"""The data of `bench.pages`: one workspace with a team per sprint size and per backlog size.

Shapes of shared/benchmarks/peers.md: a 14-day sprint started 7 days ago with 30 or 300
stories, each with SUBTASKS sub-tasks, a third done; backlogs of open tasks. Bulk inserts, no
events: the rollups and metrics are computed by the benchmark afterwards.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

SUBTASKS = 3
API_PAGE = 200  # the task API's largest page, as peers.md read it ("every page of 200")


class World:
    """One workspace: a team per sprint size and per backlog size (bulk inserts, no events)."""

    def __init__(self) -> None:
        from alignment.models import Membership, Role, User, Workspace
        from alignment.services import api_token_create

        self.workspace = Workspace.objects.create(name="Bench pages", slug="bench-pages")
        self.owner = User.objects.create_user(email="owner@bench.example", password="x" * 12)
        Membership.objects.create(workspace=self.workspace, user=self.owner, role=Role.OWNER)
        self.members = []
        for n in range(4):
            user = User.objects.create_user(email=f"m{n}@bench.example", password="x" * 12)
            self.members.append(
                Membership.objects.create(workspace=self.workspace, user=user, role=Role.MEMBER)
            )
        self.member = self.members[0]
        _, self.token = api_token_create(actor=self.member, name="bench", scope="read")
        self.teams: dict[str, Any] = {}
        self.sprints: dict[str, Any] = {}

    def _team(self, name: str, key: str) -> Any:
        from alignment.models import Team

        team = Team.objects.create(workspace=self.workspace, name=name, key=key)
        self.teams[key] = team
        return team

    def _tasks(self, team: Any, rows: list[dict[str, Any]]) -> list[Any]:
        from tasks import ranking
        from tasks.models import Task, TaskCounter

        rank, made = "i0", []
        start = Task.objects.filter(team=team).count()
        for n, row in enumerate(rows, start=start + 1):
            rank = ranking.key_between(rank, None)
            made.append(Task(workspace=self.workspace, team=team, number=n, rank=rank, **row))
        created = Task.objects.bulk_create(made, batch_size=5000)
        TaskCounter.objects.filter(team=team).update(last_number=start + len(rows))
        return created

    def sprint_team(self, stories: int) -> Any:
        """A team whose active sprint has `stories` parents with SUBTASKS sub-tasks each."""
        from django.utils import timezone

        from tasks.models import Sprint, StateCategory, Task, WorkflowState

        team = self._team(f"Sprint {stories}", f"S{stories}")
        today = timezone.localdate()
        sprint = Sprint.objects.create(
            workspace=self.workspace,
            team=team,
            name=f"Sprint of {stories}",
            start_date=today - timedelta(days=7),
            end_date=today + timedelta(days=6),
            status="active",
            started_at=timezone.now() - timedelta(days=7),
        )
        self.sprints[team.key] = sprint
        states = {s.category: s for s in WorkflowState.objects.filter(team=team)}
        cycle = [StateCategory.UNSTARTED, StateCategory.STARTED, StateCategory.DONE]
        now = timezone.now()

        def row(n: int, title: str) -> dict[str, Any]:
            category = cycle[n % 3]
            done = category == StateCategory.DONE
            return {
                "title": title,
                "state": states[category],
                "state_category": category,
                "sprint": sprint,
                "estimate": Decimal(n % 5 + 1),
                "assignee": self.members[n % 4].user,
                "completed_at": now - timedelta(days=n % 7) if done else None,
            }

        parents = self._tasks(team, [row(n, f"Story {n}") for n in range(stories)])
        children = []
        for n, parent in enumerate(parents):
            for s in range(SUBTASKS):
                children.append({**row(n + s, f"Sub-task {s} of story {n}"), "parent": parent})
        self._tasks(team, children)
        assert Task.objects.filter(sprint=sprint).count() == stories * (1 + SUBTASKS)
        return team

    def backlog_team(self, size: int) -> Any:
        from tasks.models import StateCategory, WorkflowState

        team = self._team(f"Backlog {size}", f"B{size // 1000}K" if size >= 1000 else f"B{size}")
        state = WorkflowState.objects.filter(team=team, category=StateCategory.BACKLOG).first()
        rows = [
            {
                "title": f"Backlog item {n}",
                "state": state,
                "state_category": StateCategory.BACKLOG,
                "estimate": Decimal(n % 8) if n % 3 else None,
                "assignee": self.members[n % 4].user if n % 2 else None,
            }
            for n in range(size)
        ]
        self._tasks(team, rows)
        return team


def card_keys_and_more(html: str) -> tuple[int, list[str]]:
    cards = len(re.findall(r'<li class="task-card', html))
    more = [m.replace("&amp;", "&") for m in re.findall(r'hx-get="([^"]*column=[^"]*)"', html)]
    return cards, more
