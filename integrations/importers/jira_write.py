"""Writing a checked Jira preview through the domain services, inside `base.execute`'s one
transaction: teams, reserved numbers, sprints (closed ones too), epics' roadmap items, labels,
then every task with its key or alias, comments, past (history in closed sprints, status
changes), attachments and import record, then dependencies and active sprints."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from alignment import services as core_services
from alignment.errors import DomainError
from alignment.models import Membership, Team
from customfields import services as custom_services
from integrations.importers import jira_write_past
from integrations.importers.base import RowFailed, Tick, error_text
from integrations.importers.jira_preview import SOURCE, IssuePreview, JiraPreview, PlannedSprint
from integrations.models import ImportedIssue
from roadmaps import services as roadmap_services
from roadmaps.models import Roadmap, RoadmapItem
from tasks import services as task_services
from tasks.errors import DependencyCycle, DependencyExists, SprintAlreadyActive
from tasks.models import Label, Sprint, SprintStatus, Task, WorkflowState

ROADMAP_NAME = "Jira"  # epics become items of this roadmap (found by name, or created)


def _state(team: Team, category: str) -> WorkflowState | None:
    return WorkflowState.objects.filter(team=team, category=category).order_by("position").first()


def _roadmap_items(
    actor: Membership, teams: dict[str, Team], checked: JiraPreview
) -> dict[str, RoadmapItem]:
    """Epic key -> an item of the "Jira" roadmap with the epic's title (reused when there)."""
    workspace = actor.workspace
    by_id = RoadmapItem.objects.for_workspace(workspace).in_bulk(checked.existing_items.values())
    items = {
        key: by_id[item_id] for key, item_id in checked.existing_items.items() if item_id in by_id
    }
    if not checked.epics:
        return items
    roadmap = Roadmap.objects.for_workspace(workspace).filter(name__iexact=ROADMAP_NAME).first()
    try:
        if roadmap is None:
            roadmap = roadmap_services.roadmap_create(actor=actor, name=ROADMAP_NAME)
        existing = {
            item.title: item
            for item in RoadmapItem.objects.for_workspace(workspace).filter(roadmap=roadmap)
        }
        for key, (title, team_key) in checked.epics.items():
            item = existing.get(title)
            if item is None:
                item = roadmap_services.roadmap_item_create(
                    actor=actor, roadmap=roadmap, title=title, owner_team=teams.get(team_key)
                )
                existing[title] = item
            items[key] = item
    except DomainError as error:
        raise RowFailed(ROADMAP_NAME, f"Roadmap: {error_text(error)}") from error
    return items


def _sprint_for(actor: Membership, team: Team, planned: PlannedSprint) -> Sprint | None:
    """The team's sprint of that name (none when it is closed), else a new planned one."""
    existing = Sprint.objects.for_workspace(team.workspace).filter(team=team, name=planned.name)
    found = existing.first()
    if found is not None:
        return None if found.status == SprintStatus.CLOSED else found
    try:
        return task_services.sprint_create(
            actor=actor,
            team=team,
            name=planned.name,
            start_date=planned.start_date,
            end_date=planned.end_date,
            goal=planned.goal,
        )
    except DomainError as error:
        raise RowFailed(planned.name, f"Sprint {planned.name}: {error_text(error)}") from error


def _labels(actor: Membership, checked: JiraPreview) -> dict[str, Label]:
    labels = {
        label.name.casefold(): label for label in Label.objects.for_workspace(actor.workspace)
    }
    for name in checked.labels_to_create:
        if name.casefold() in labels:
            continue
        try:
            labels[name.casefold()] = task_services.label_create(actor=actor, name=name)
        except DomainError as error:
            raise RowFailed(name, f"Label {name}: {error_text(error)}") from error
    return labels


def _record(actor: Membership, checked_key: str, **target: object) -> None:
    """The import record that makes a second import of the same issue a skip."""
    try:
        with transaction.atomic():
            ImportedIssue.objects.create(
                workspace_id=actor.workspace_id, source=SOURCE, external_key=checked_key, **target
            )
    except IntegrityError as error:
        raise RowFailed(checked_key, f"{checked_key} was imported meanwhile.") from error


def write(actor: Membership, checked: JiraPreview, tick: Tick) -> None:
    """Create the missing teams, sprints, epics' items and labels, then every issue's task."""
    teams = _write_teams(actor, checked)
    for key, through in checked.reserve.items():
        task_services.reserve_numbers(teams[key], through=through)
    sprints: dict[tuple[str, str], Sprint | None] = {}
    for team_key, planned in checked.sprints:
        sprints[(team_key, planned.name)] = _sprint_for(actor, teams[team_key], planned)
    closed = jira_write_past.closed_sprints(actor, teams, checked)
    items = _roadmap_items(actor, teams, checked)
    for key, item in items.items():
        if key not in checked.existing_items:
            _record(actor, key, roadmap_item=item)
    labels = _labels(actor, checked)
    # Tasks of earlier imports: parents and dependencies may point at them.
    earlier = Task.objects.for_workspace(actor.workspace).in_bulk(checked.existing_tasks.values())
    tasks = {
        key: earlier[task_id]
        for key, task_id in checked.existing_tasks.items()
        if task_id in earlier
    }
    done = checked.total - len(checked.creation_order())
    tick(done)
    for issue in checked.creation_order():
        team = teams[issue.project_key]
        sprint = sprints.get((team.key, issue.sprint.name)) if issue.sprint else None
        where = _Planned(team, sprint, items.get(issue.epic_key), tasks.get(issue.parent_key))
        task = _write_task(actor, issue, where, labels, closed)
        _record(actor, issue.key, task=task)
        tasks[issue.key] = task
        done += 1
        tick(done)
    _write_dependencies(actor, checked, tasks)
    _start_active_sprints(actor, checked, sprints)


def _write_teams(actor: Membership, checked: JiraPreview) -> dict[str, Team]:
    """The workspace's teams by key, with those the file needs created."""
    teams = {team.key: team for team in Team.objects.for_workspace(actor.workspace)}
    for key, name in checked.teams_to_create:
        try:
            teams[key] = core_services.team_create(actor=actor, name=name, key=key)
        except DomainError as error:
            raise RowFailed(key, f"Team {key}: {error_text(error)}") from error
    return teams


@dataclass(frozen=True)
class _Planned:
    """Where one issue's task goes: its team, sprint, roadmap item and parent task."""

    team: Team
    sprint: Sprint | None
    item: RoadmapItem | None
    parent: Task | None


def _write_task(
    actor: Membership,
    issue: IssuePreview,
    planned: _Planned,
    labels: dict[str, Label],
    closed: dict[tuple[str, str], Sprint],
) -> Task:
    """One issue's task, with its custom values, alias, comments, history and attachments."""
    try:
        task = task_services.task_create(
            actor=actor,
            team=planned.team,
            title=issue.title,
            description=issue.description,
            state=_state(planned.team, issue.category),
            assignee=issue.assignee,
            estimate=issue.estimate,
            priority=issue.priority,
            labels=[labels[name.casefold()] for name in issue.labels],
            sprint=planned.sprint,
            roadmap_item=planned.item,
            parent=planned.parent,
            number=issue.number,
            # History copied from Jira: the team's standards judge moves from here on.
            gated=False,
        )
        if issue.custom_values:
            custom_services.custom_values_set(actor=actor, task=task, values=issue.custom_values)
        if issue.alias:
            task_services.task_key_alias_add(actor=actor, task=task, key=issue.alias, source=SOURCE)
        for comment in issue.comments:
            task_services.task_comment_import(
                actor=actor,
                task=task,
                body=comment.body,
                author=comment.author,
                created_at=comment.created_at,
            )
        jira_write_past.history(actor, task, issue, closed)
        jira_write_past.attachments(actor, task, issue)
    except DomainError as error:
        raise RowFailed(issue.key, error_text(error)) from error
    return task


def _write_dependencies(actor: Membership, checked: JiraPreview, tasks: dict[str, Task]) -> None:
    for blocking, blocked in checked.dependencies:
        try:
            task_services.task_dependency_add(
                actor=actor, blocking=tasks[blocking], blocked=tasks[blocked]
            )
        except (DependencyCycle, DependencyExists):
            # Only possible with dependencies made here since the preview: the pair is left out.
            continue


def _start_active_sprints(
    actor: Membership, checked: JiraPreview, sprints: dict[tuple[str, str], Sprint | None]
) -> None:
    """Started last, once its tasks are in: work added to an active sprint counts as scope
    added mid-sprint, which an import is not."""
    for team_key, planned in checked.sprints:
        sprint = sprints.get((team_key, planned.name))
        if sprint is not None and planned.is_active and sprint.status == SprintStatus.PLANNED:
            try:
                task_services.sprint_start(actor=actor, sprint=sprint)
            except SprintAlreadyActive:
                continue  # the team runs another sprint: this one stays planned
