"""Demo work for the demo company: a roadmap linked to the KRs, sprints with history, tasks.

`seed_work` is idempotent (it does nothing when the demo roadmap already has items) and
deterministic (a seeded RNG), and writes with bulk_create so it runs in seconds on SQLite.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from alignment.models import Team, User, Workspace
from okrs.models import KeyResult
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemDependency
from tasks import ranking
from tasks.demo_history import Origin, at, task_history
from tasks.markdown import render_markdown
from tasks.models import (
    Label,
    Sprint,
    SprintCarryOver,
    SprintStatus,
    StateCategory,
    Task,
    TaskCounter,
    TaskDependency,
    TaskEvent,
    TaskLabel,
    WorkflowState,
)
from tasks.team_setup import ensure_team_workflow

ROADMAP_NAME = "Product roadmap"
SPRINT_DAYS = 14
LABELS = [
    ("bug", "#dc2626"),
    ("feature", "#2563eb"),
    ("tech-debt", "#6b7280"),
    ("customer", "#16a34a"),
]
ITEMS = {
    "PLT": [
        "Public API v2",
        "Zero-downtime deploys",
        "Usage-based rate limits",
        "Audit log export",
    ],
    "MOB": ["Offline mode", "Push notification center", "Tablet layout"],
    "GRO": [
        "Self-serve onboarding",
        "Pricing page experiments",
        "Referral program",
        "Trial nudges",
    ],
    "DAT": ["Unified metrics store", "Churn prediction", "Reporting warehouse"],
}
VERBS = ["Add", "Fix", "Refactor", "Speed up", "Document", "Test", "Design", "Migrate", "Polish"]
SUBJECTS = [
    "login redirect", "token refresh", "billing webhook", "search index", "sync queue",
    "settings page", "onboarding checklist", "CSV export", "rate limiter", "event pipeline",
    "push payloads", "dark mode", "trial banner", "invoice emails", "dashboard filters",
    "retry policy", "session timeout", "image cache", "feature flags", "crash reporting",
]  # fmt: skip
NEAR_DUPLICATES = [
    ("Fix login redirect loop on Safari", "Fix Safari login redirect loop"),
    ("Add CSV export to the reports page", "Add CSV export for reports page"),
    ("Crash when uploading large images", "App crashes when uploading large images"),
]


@dataclass
class WorkSummary:
    created: bool
    roadmap: Roadmap
    items: int = 0
    sprints: int = 0
    tasks: int = 0
    events: int = 0
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Seed:
    """What every team's tasks are drawn from; `origins` says how each task of `tasks` came
    into its sprint, `carry` collects the carry-overs the histories write."""

    workspace: Workspace
    today: date
    now: datetime
    rng: random.Random
    states: dict[int, dict[str, WorkflowState]]
    members_of: dict[int, list[User | None]]
    items_by_team: dict[int, list[RoadmapItem]]
    tasks: list[Task] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    carry: list[SprintCarryOver] = field(default_factory=list)
    backlogs: list[list[Task]] = field(default_factory=list)


@transaction.atomic
def seed_work(
    *,
    workspace: Workspace,
    teams: Mapping[str, Team] | Sequence[Team],
    people: Mapping[str, User] | Sequence[User],
    today: date,
    now: datetime | None = None,
) -> WorkSummary:
    """Roadmap items linked to the workspace's KRs, 4 sprints per team (2 closed with
    history, 1 active, 1 planned), ~400 tasks with events, blocked work across teams,
    unaligned work and a few near-duplicates.

    History is written in time order and never after `now` (default: the current time when
    `today` is today, else 18:00 on `today`): work carried over at each close, tasks created
    directly in the running sprint, a few re-estimated mid-sprint."""
    now = _demo_now(today, now)
    team_list = list(teams.values()) if isinstance(teams, Mapping) else list(teams)
    users = list(people.values()) if isinstance(people, Mapping) else list(people)
    roadmap, _ = Roadmap.objects.get_or_create(
        workspace=workspace,
        name=ROADMAP_NAME,
        defaults={"description": "What we are building this half, and which results it moves."},
    )
    if RoadmapItem.objects.filter(roadmap=roadmap).exists():
        return WorkSummary(created=False, roadmap=roadmap)
    rng = random.Random(20260101)
    summary = WorkSummary(created=True, roadmap=roadmap)
    for team in team_list:
        ensure_team_workflow(team)

    labels = [
        Label.objects.get_or_create(workspace=workspace, name=name, defaults={"color": color})[0]
        for name, color in LABELS
    ]
    items_by_team = _items(workspace, roadmap, team_list, today, rng)
    summary.items = sum(len(v) for v in items_by_team.values())
    seed = _Seed(
        workspace=workspace,
        today=today,
        now=now,
        rng=rng,
        states=_team_states(team_list),
        members_of={
            team.pk: list(team.members.all()) or list(users[:3]) or [None] for team in team_list
        },
        items_by_team=items_by_team,
    )
    for team_index, team in enumerate(team_list):
        # Each team works on its own parts of the product: titles repeat within a team's
        # history, not across teams (only NEAR_DUPLICATES below are meant to look alike).
        subjects = SUBJECTS[team_index :: len(team_list)] or SUBJECTS
        summary.sprints += _seed_team(seed, team, subjects)
    _near_duplicates(seed.backlogs)
    summary.tasks, summary.events = _write_work(seed, labels)
    _cross_team_blockers(workspace, seed.tasks, rng)
    summary.counts = {
        "unaligned": sum(1 for t in seed.tasks if t.roadmap_item_id is None),
        "done": sum(1 for t in seed.tasks if t.state_category == StateCategory.DONE),
    }
    return summary


def _demo_now(today: date, now: datetime | None) -> datetime:
    """`now`, else the current time when `today` is today, else 18:00 on `today`."""
    if now is not None:
        return now
    current = timezone.now()
    return current if timezone.localdate(current) == today else at(today, 18)


def _team_states(teams: list[Team]) -> dict[int, dict[str, WorkflowState]]:
    """Each team's first workflow state of every category."""
    return {
        team.pk: {
            s.category: s
            for s in reversed(list(WorkflowState.objects.filter(team=team).order_by("position")))
        }
        for team in teams
    }


def _seed_team(seed: _Seed, team: Team, subjects: list[str]) -> int:
    """One team's sprints and tasks (numbered and ranked, not saved yet); the sprint count."""
    sprints = _sprints(seed.workspace, team, seed.today, seed.now)
    plans: list[tuple[Sprint | None, int]] = [
        (s, 18 if s.status != SprintStatus.PLANNED else 10) for s in sprints
    ]
    plans.append((None, 30))
    team_tasks: list[Task] = []
    for sprint, count in plans:
        previous = _previous(sprints, sprint)
        for _ in range(count):
            seed.origins.append(_origin(sprint, previous, seed.rng))
            title = f"{seed.rng.choice(VERBS)} {seed.rng.choice(subjects)}"
            team_tasks.append(
                _task(
                    seed.workspace,
                    team,
                    sprint,
                    title,
                    seed.states[team.pk],
                    seed.members_of[team.pk],
                    seed.items_by_team.get(team.pk, []),
                    seed.today,
                    seed.rng,
                )
            )
    for number, task in enumerate(team_tasks, start=1):
        task.number = number
    ranks = ranking.keys_between(None, None, len(team_tasks))
    for task, rank in zip(team_tasks, ranks, strict=True):
        task.rank = rank
    seed.backlogs.append([t for t in team_tasks if t.sprint is None])
    seed.tasks += team_tasks
    TaskCounter.objects.update_or_create(
        team=team,
        defaults={"last_number": len(team_tasks)},
        create_defaults={"workspace": seed.workspace, "last_number": len(team_tasks)},
    )
    return len(sprints)


def _near_duplicates(backlogs: list[list[Task]]) -> None:
    """The same work written down twice, in two teams' backlogs."""
    for index, (first, second) in enumerate(NEAR_DUPLICATES):
        if len(backlogs) > 1:
            backlogs[index % len(backlogs)][index].title = first
            copy = backlogs[(index + 1) % len(backlogs)][index + 5]
            copy.title = second
            copy.roadmap_item = None  # written down again by a team that did not know


def _write_work(seed: _Seed, labels: list[Label]) -> tuple[int, int]:
    """Saves the tasks with their histories, carry-overs and labels; (tasks, events) written."""
    rng = seed.rng
    histories = [
        task_history(task, seed.states[task.team_id], origin, seed.carry, now=seed.now, rng=rng)
        for task, origin in zip(seed.tasks, seed.origins, strict=True)
    ]
    Task.objects.bulk_create(seed.tasks, batch_size=500)
    events = [event for history in histories for event in history]
    TaskEvent.objects.bulk_create(events, batch_size=1000)
    SprintCarryOver.objects.bulk_create(seed.carry)
    TaskLabel.objects.bulk_create(
        [
            TaskLabel(workspace=seed.workspace, task=task, label=rng.choice(labels))
            for task in seed.tasks
            if rng.random() < 0.4
        ],
        ignore_conflicts=True,
    )
    return len(seed.tasks), len(events)


def _items(
    workspace: Workspace, roadmap: Roadmap, teams: list[Team], today: date, rng: random.Random
) -> dict[int, list[RoadmapItem]]:
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    items: list[RoadmapItem] = []
    for team in teams:
        titles = ITEMS.get(team.key, [f"{team.name} initiative {n}" for n in range(1, 4)])
        for index, title in enumerate(titles):
            start = quarter_start + timedelta(days=-30 + index * 35 + rng.randint(0, 10))
            target = start + timedelta(days=rng.choice([42, 56, 70, 84]))
            status = (
                "done"
                if target < today - timedelta(days=10)
                else ("in_progress" if start <= today else "planned")
            )
            items.append(
                RoadmapItem(
                    workspace=workspace,
                    roadmap=roadmap,
                    kind="initiative" if index == 0 else "epic",
                    title=title,
                    description=f"{title}: owned by {team.name}.",
                    owner_team=team,
                    start_date=start,
                    target_date=target,
                    status=status,
                )
            )
    RoadmapItem.objects.bulk_create(items)
    key_results = list(KeyResult.objects.for_workspace(workspace).order_by("pk"))
    if key_results:
        links = []
        for index, item in enumerate(items):
            chosen = {key_results[index % len(key_results)]}
            if index % 3 == 0:
                chosen.add(key_results[(index * 7 + 3) % len(key_results)])
            links += [
                KeyResultLink(
                    workspace=workspace,
                    item=item,
                    key_result=kr,
                    weight=Decimal(rng.choice([1, 1, 2])),
                )
                for kr in chosen
            ]
        KeyResultLink.objects.bulk_create(links)
    # A chain across teams: the platform API unblocks mobile offline mode and onboarding.
    edges = [(items[i], items[j]) for i, j in ((0, 5), (0, 8), (1, 9)) if j < len(items)]
    RoadmapItemDependency.objects.bulk_create(
        RoadmapItemDependency(workspace=workspace, blocking=a, blocked=b) for a, b in edges
    )
    by_team: dict[int, list[RoadmapItem]] = {}
    for item in items:
        by_team.setdefault(item.owner_team_id or 0, []).append(item)
    return by_team


def _previous(sprints: Sequence[Sprint], sprint: Sprint | None) -> Sprint | None:
    """The closed sprint just before `sprint`, whose unfinished work it may have taken on."""
    if sprint is None or sprint.status == SprintStatus.PLANNED:
        return None
    index = sprints.index(sprint)
    before = sprints[index - 1] if index else None
    return before if before is not None and before.status == SprintStatus.CLOSED else None


def _origin(sprint: Sprint | None, previous: Sprint | None, rng: random.Random) -> Origin:
    if sprint is None or sprint.status == SprintStatus.PLANNED:
        return Origin()
    draw = rng.random()
    if previous is not None and draw < 0.15:
        return Origin(carried_from=previous)
    if draw > 0.9:
        return Origin(added_after_start=True)
    return Origin()


def _sprints(workspace: Workspace, team: Team, today: date, now: datetime) -> list[Sprint]:
    # The active sprint started up to 13 days ago, aligned to Mondays.
    active_start = today - timedelta(days=today.weekday() + 7 * (today.isocalendar()[1] % 2))
    specs = [
        (active_start - timedelta(days=2 * SPRINT_DAYS), SprintStatus.CLOSED),
        (active_start - timedelta(days=SPRINT_DAYS), SprintStatus.CLOSED),
        (active_start, SprintStatus.ACTIVE),
        (active_start + timedelta(days=SPRINT_DAYS), SprintStatus.PLANNED),
    ]
    sprints = [
        Sprint(
            workspace=workspace,
            team=team,
            name=f"{team.key} {start.isocalendar()[0]}-W{start.isocalendar()[1]:02d}",
            goal="Ship the next slice of the roadmap.",
            start_date=start,
            end_date=start + timedelta(days=SPRINT_DAYS - 1),
            status=status,
            # A sprint starting today started before now, even early in the morning.
            started_at=min(at(start, 9), now - timedelta(minutes=30))
            if status != SprintStatus.PLANNED
            else None,
            closed_at=at(start + timedelta(days=SPRINT_DAYS - 1), 17)
            if status == SprintStatus.CLOSED
            else None,
        )
        for start, status in specs
    ]
    return Sprint.objects.bulk_create(sprints)


def _task(
    workspace: Workspace,
    team: Team,
    sprint: Sprint | None,
    title: str,
    states: dict[str, WorkflowState],
    members: list[User | None],
    items: list[RoadmapItem],
    today: date,
    rng: random.Random,
) -> Task:
    if sprint is None:
        category = StateCategory.BACKLOG
    elif sprint.status == SprintStatus.CLOSED:
        category = StateCategory.DONE if rng.random() < 0.85 else StateCategory.CANCELED
    elif sprint.status == SprintStatus.ACTIVE:
        category = rng.choice(
            [
                StateCategory.UNSTARTED,
                StateCategory.STARTED,
                StateCategory.STARTED,
                StateCategory.DONE,
            ]
        )
    else:
        category = StateCategory.UNSTARTED
    state = states.get(category) or next(iter(states.values()))
    base_day = sprint.start_date if sprint else today - timedelta(days=rng.randint(1, 60))
    created = at(base_day - timedelta(days=rng.randint(1, 10)), rng.randint(8, 17))
    aligned = items and rng.random() < 0.8
    description = f"Part of the {team.name} plan.\n\n- acceptance: works on **all** clients"
    return Task(
        workspace=workspace,
        team=team,
        number=0,
        title=title,
        description=description,
        description_html=render_markdown(description),
        state=state,
        state_category=state.category,
        assignee=rng.choice(members) if sprint else None,
        estimate=Decimal(rng.choice([1, 2, 3, 5, 8])) if rng.random() < 0.9 else None,
        priority=rng.randint(0, 4),
        roadmap_item=rng.choice(items) if aligned else None,
        sprint=sprint,
        created_at=created,
    )


def _cross_team_blockers(workspace: Workspace, tasks: list[Task], rng: random.Random) -> None:
    open_tasks = [
        t for t in tasks if t.state_category not in (StateCategory.DONE, StateCategory.CANCELED)
    ]
    by_team: dict[int, list[Task]] = {}
    for task in open_tasks:
        by_team.setdefault(task.team_id, []).append(task)
    teams = sorted(by_team)
    edges: set[tuple[int, int]] = set()
    for index, team_id in enumerate(teams):
        other = teams[(index + 1) % len(teams)]
        if other == team_id:
            continue
        if index == len(teams) - 1:
            break  # edges only go from a team to the next one: the graph cannot cycle
        for _ in range(3):
            blocking = rng.choice(by_team[team_id])
            blocked = rng.choice(by_team[other])
            edges.add((blocking.pk, blocked.pk))
    TaskDependency.objects.bulk_create(
        [TaskDependency(workspace=workspace, blocking_id=a, blocked_id=b) for a, b in edges],
        ignore_conflicts=True,
    )
