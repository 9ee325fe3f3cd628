"""The benchmark's data set: one workspace grown in steps to SCALE × 1,000,000 tasks.

SCALE=1 is 1,000,000 tasks, 100 teams, 10,000 roadmap items and 2,000 objectives (three key
results each). Deterministic (a seeded RNG), no domain events: rollups are computed by the
runner. Teams, sprints, the OKR tree and items go through the ORM (thousands of rows); tasks
are streamed with PostgreSQL COPY, which is what makes a million rows take seconds, not
minutes.
"""

from __future__ import annotations

import contextlib
import io
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

# Task titles are drawn from these words ("Refactor billing export for the mobile app"), like a
# team's titles: "Task 123456" made every task a near-duplicate of every other (trigram
# similarity ≥ 0.5 between any two), so the duplicate finder compared each recent task with a
# million partners (minutes a refresh), which no real backlog asks of it.
VERBS = (
    "Add",
    "Fix",
    "Refactor",
    "Remove",
    "Document",
    "Test",
    "Migrate",
    "Speed up",
    "Review",
    "Design",
    "Split",
    "Rename",
    "Upgrade",
    "Monitor",
    "Cache",
    "Validate",
    "Localize",
    "Audit",
    "Simplify",
    "Automate",
    "Deprecate",
    "Secure",
    "Index",
    "Retry",
    "Paginate",
    "Export",
    "Import",
    "Archive",
    "Schedule",
    "Measure",
)
SUBJECTS = (
    "billing",
    "login",
    "search",
    "onboarding",
    "invoice",
    "webhook",
    "dashboard",
    "report",
    "checkout",
    "profile",
    "settings",
    "notification",
    "permission",
    "audit log",
    "export",
    "calendar",
    "upload",
    "comment",
    "mention",
    "timeline",
    "roadmap",
    "sprint",
    "backlog",
    "session",
    "token",
    "password reset",
    "email digest",
    "API client",
    "rate limit",
    "queue",
    "worker",
    "cache",
    "migration",
    "schema",
    "filter",
    "sort order",
    "pagination",
    "avatar",
    "team page",
    "OKR tree",
    "check-in",
    "forecast",
    "board",
    "label",
    "attachment",
    "SSO",
    "SCIM",
    "two-factor",
    "retention",
    "backup",
)
PLACES = (
    "for the mobile app",
    "on the admin page",
    "in the public API",
    "for large workspaces",
    "behind a feature flag",
    "for guests",
    "in the CLI",
    "for SAML users",
    "in dark mode",
    "on slow networks",
    "for screen readers",
    "in the nightly job",
    "for EU customers",
    "in Safari",
    "on first run",
    "after the upgrade",
    "for private teams",
    "in the digest",
    "under load",
    "in the editor",
    "for viewers",
    "in the importer",
    "on the board",
    "in the sidebar",
    "for owners",
    "during sign-up",
    "in exports",
    "for archived items",
    "on the timeline",
    "with keyboard only",
)

FULL = {"tasks": 1_000_000, "teams": 100, "items": 10_000, "objectives": 2_000}
BATCH = 5_000
COPY_CHUNK = 100_000
TASK_COLUMNS = [
    "workspace_id",
    "team_id",
    "number",
    "title",
    "description",
    "description_html",
    "state_id",
    "state_category",
    "estimate",
    "priority",
    "roadmap_item_id",
    "sprint_id",
    "rank",
    "version",
    "created_at",
    "updated_at",
    "started_at",
    "completed_at",
]


class Generator:
    """Deterministic data of one workspace, grown in steps (bulk inserts, no events)."""

    def __init__(self, scale: float) -> None:
        from alignment.models import Membership, Role, Team, User, Workspace
        from okrs.models import Period
        from roadmaps.models import Roadmap
        from tasks.models import StateCategory, WorkflowState

        self.rng = random.Random(42)
        self.scale = scale
        self.teams_wanted = max(4, round(FULL["teams"] * scale))
        self.workspace = Workspace.objects.create(name="Bench", slug="bench")
        self.user = User.objects.create_user(email="bench@example.com", password="x" * 12)
        Membership.objects.create(workspace=self.workspace, user=self.user, role=Role.OWNER)
        self.today = timezone.localdate()
        self.period = Period.objects.create(
            workspace=self.workspace,
            name="This quarter",
            start=self.today - timedelta(days=45),
            end=self.today + timedelta(days=45),
        )
        self.roadmap = Roadmap.objects.create(workspace=self.workspace, name="Roadmap")
        self.teams = [
            Team.objects.create(workspace=self.workspace, name=f"Team {n}", key=f"T{n:03d}")
            for n in range(self.teams_wanted)
        ]
        self.states: dict[int, dict[str, Any]] = {}
        for state in WorkflowState.objects.filter(workspace=self.workspace).order_by("position"):
            self.states.setdefault(state.team_id, {}).setdefault(state.category, state)
        self.sprints: dict[int, dict[str, Any]] = {}
        self._sprints()
        self.categories = [
            (StateCategory.DONE.value, 40),
            (StateCategory.STARTED.value, 15),
            (StateCategory.UNSTARTED.value, 20),
            (StateCategory.BACKLOG.value, 20),
            (StateCategory.CANCELED.value, 5),
        ]
        self.items: list[Any] = []
        self.task_krs: list[Any] = []
        self.company_children: list[Any] = []
        self.objectives = 0
        self.numbers = dict.fromkeys((t.pk for t in self.teams), 0)
        self.tasks = 0

    def _sprints(self) -> None:
        from tasks.models import Sprint

        now = timezone.now()
        rows = []
        for team in self.teams:
            for n, status in enumerate(["closed", "closed", "active", "planned"]):
                start = self.today - timedelta(days=35 - 14 * n)
                started = now - timedelta(days=35 - 14 * n)
                closed = now - timedelta(days=22 - 14 * n)
                rows.append(
                    Sprint(
                        workspace=self.workspace,
                        team=team,
                        name=f"{team.key} S{n}",
                        start_date=start,
                        end_date=start + timedelta(days=13),
                        status=status,
                        started_at=started if status != "planned" else None,
                        closed_at=closed if status == "closed" else None,
                    )
                )
        made = Sprint.objects.bulk_create(rows)
        for index, sprint in enumerate(made):
            n = index % 4
            name = sprint.status if sprint.status != "closed" else f"closed{n}"
            self.sprints.setdefault(sprint.team_id, {})[name] = sprint

    def _objectives(self, count: int) -> None:
        from okrs.models import KeyResult, Objective

        for _ in range(count):
            company = not self.company_children or self.rng.random() < 0.1
            team = self.rng.choice(self.teams)
            parent_kr = None if company else self.rng.choice(self.company_children)
            objective = Objective.objects.create(
                workspace=self.workspace,
                period=self.period,
                title=f"Objective {self.rng.random():.6f}",
                level="company" if company else "team",
                team=None if company else team,
                parent_key_result=parent_kr,
                parent=parent_kr.objective if parent_kr else None,
            )
            krs = KeyResult.objects.bulk_create(
                [
                    KeyResult(
                        workspace=self.workspace,
                        objective=objective,
                        title=f"KR {n}",
                        source=source,
                        baseline=Decimal(0),
                        target=Decimal(100),
                        current=Decimal(self.rng.randint(0, 100)),
                        position=n,
                    )
                    for n, source in enumerate(
                        ["children" if company else "tasks", "tasks", "manual"]
                    )
                ]
            )
            if company:
                self.company_children.append(krs[0])
            self.task_krs.extend(kr for kr in krs if kr.source == "tasks")
        self.objectives += count

    def _items(self, count: int) -> None:
        from roadmaps.models import KeyResultLink, RoadmapItem

        new = RoadmapItem.objects.bulk_create(
            [
                RoadmapItem(
                    workspace=self.workspace,
                    roadmap=self.roadmap,
                    title=f"Item {len(self.items) + n}",
                    owner_team=self.rng.choice(self.teams),
                    start_date=self.today - timedelta(days=self.rng.randint(20, 60)),
                    target_date=self.today + timedelta(days=self.rng.randint(-10, 60)),
                    status="in_progress",
                )
                for n in range(count)
            ],
            batch_size=BATCH,
        )
        links = []
        for item in new:
            for kr in self.rng.sample(self.task_krs, k=min(len(self.task_krs), 2)):
                if self.rng.random() < 0.7:
                    links.append(
                        KeyResultLink(
                            workspace=self.workspace,
                            item=item,
                            key_result=kr,
                            weight=Decimal(self.rng.randint(1, 3)),
                        )
                    )
        KeyResultLink.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        self.items.extend(new)

    def _title(self) -> str:
        rng = self.rng
        return f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)} {rng.choice(PLACES)}"

    def _task_lines(self, count: int) -> list[str]:
        """`count` tasks as COPY text lines (tab-separated, \\N for NULL)."""
        categories, weights = zip(*self.categories, strict=True)
        estimates = ["\\N", "1", "2", "3", "5", "8"]
        now = timezone.now().isoformat()
        item_ids = [item.pk for item in self.items]
        lines: list[str] = []
        rng = self.rng
        for _ in range(count):
            team = rng.choice(self.teams)
            category = rng.choices(categories, weights)[0]
            sprints = self.sprints[team.pk]
            roll = rng.random()
            sprint = (
                sprints["active"]
                if roll < 0.03
                else sprints["closed0"]
                if roll < 0.05
                else sprints["closed1"]
                if roll < 0.07
                else None
            )
            self.numbers[team.pk] += 1
            number = self.numbers[team.pk]
            estimate = rng.choice(estimates)
            item = str(rng.choice(item_ids)) if rng.random() < 0.8 else "\\N"
            lines.append(
                f"{self.workspace.pk}\t{team.pk}\t{number}\t{self._title()}\t\t\t"
                f"{self.states[team.pk][category].pk}\t{category}\t{estimate}\t0\t{item}\t"
                f"{sprint.pk if sprint else chr(92) + 'N'}\tp{number:08d}\t1\t{now}\t{now}\t"
                "\\N\t\\N\n"
            )
        return lines

    def _tasks(self, count: int) -> None:
        from tasks.models import Task, TaskCounter

        columns = {f.column for f in Task._meta.concrete_fields} - {"id"}
        required = {
            f.column
            for f in Task._meta.concrete_fields
            if not f.null and f.column != "id" and f.column not in TASK_COLUMNS
        }
        assert not required, f"bench.generate: Task gained NOT NULL columns {required}"
        assert set(TASK_COLUMNS) <= columns
        sql = f"COPY {Task._meta.db_table} ({', '.join(TASK_COLUMNS)}) FROM STDIN"
        done = 0
        while done < count:
            chunk = min(COPY_CHUNK, count - done)
            buffer = io.StringIO("".join(self._task_lines(chunk)))
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.cursor.copy_expert(sql, buffer)
            done += chunk
            self.tasks += chunk
        for team_id, number in self.numbers.items():
            TaskCounter.objects.filter(team_id=team_id).update(last_number=number)

    def grow_to(self, tasks: int) -> None:
        """Add objectives, items and tasks in proportion until the workspace has `tasks`."""
        from tasks.models import Task

        share = tasks / FULL["tasks"]
        objectives = max(10, round(FULL["objectives"] * share))
        items = max(50, round(FULL["items"] * share))
        self._objectives(objectives - self.objectives)
        self._items(items - len(self.items))
        self._tasks(tasks - self.tasks)
        with connection.cursor() as cursor:
            # VACUUM sets the visibility map, so the covering index scans stay index-only
            # (an application's table gets this from autovacuum; a fresh COPY has not yet).
            cursor.execute(f"VACUUM ANALYZE {Task._meta.db_table}")
            cursor.execute("ANALYZE")
            # The bulk load leaves gigabytes of dirty pages that the checkpointer would
            # otherwise write out over the next minutes, while the measurements run (every
            # commit then waits behind it). Flush them now, as a server in steady state has.
            with contextlib.suppress(DatabaseError):  # needs superuser or pg_checkpoint
                cursor.execute("CHECKPOINT")
