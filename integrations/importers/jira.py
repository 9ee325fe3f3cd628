"""Issues from Jira's search API (`/rest/api/3/search` or `/search/jql` JSON) into tasks.

Projects become teams (found by key in this workspace, created when missing), issues become
tasks in their project's team with the state of the mapped category, story points as the
estimate, and the assignee matched by e-mail among this workspace's members. Jira Cloud
usually hides e-mails: such assignees are listed in the preview and the task is unassigned.
Everything is checked first and written in one transaction, like the CSV importer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from alignment import services as core_services
from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership, Role, Team, User, Workspace
from integrations.importers.csv_tasks import progress_key
from integrations.importers.errors import UploadInvalid
from integrations.models import ImportJob, ImportStatus
from roadmaps import services as roadmap_services
from roadmaps.models import Roadmap, RoadmapItem
from tasks import services as task_services
from tasks.models import Sprint, SprintStatus, StateCategory, WorkflowState
from tasks.services.core import clean_estimate

# Jira statusCategory.key -> our state category.
STATUS_CATEGORIES = {
    "new": StateCategory.UNSTARTED,
    "indeterminate": StateCategory.STARTED,
    "done": StateCategory.DONE,
}
STORY_POINT_FIELDS = ("customfield_10016", "customfield_10028", "story_points")
SPRINT_FIELD = "customfield_10020"  # Jira Cloud's sprint field: a list of sprint objects
TEAM_KEY = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
ROADMAP_NAME = "Jira"  # epics become items of this roadmap (found by name, or created)


def decode(data: bytes) -> str:
    """The JSON text of a search response; anything else is refused with the reason."""
    try:
        text = data.decode("utf-8-sig")
        payload = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UploadInvalid(f"The file is not Jira search JSON: {exc}.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("issues"), list):
        raise UploadInvalid("The file has no “issues” list; export it from /rest/api/3/search.")
    if not payload["issues"]:
        raise UploadInvalid("The file has no issues.")
    return text


def adf_text(node: Any) -> str:
    """The plain text of an Atlassian Document Format value (or a plain string)."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    parts = [adf_text(child) for child in node.get("content") or []]
    joiner = "\n\n" if node.get("type") == "doc" else ""
    return joiner.join(part for part in parts if part)


@dataclass
class IssuePreview:
    key: str
    title: str
    project_key: str
    description: str = ""
    category: str = StateCategory.BACKLOG
    status_name: str = ""
    estimate: Decimal | None = None
    assignee: User | None = None
    assignee_label: str = ""
    sprint: PlannedSprint | None = None
    is_epic: bool = False
    epic_key: str = ""  # the parent epic, when there is one
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedSprint:
    name: str
    start_date: date
    end_date: date
    goal: str = ""


@dataclass
class JiraPreview:
    issues: list[IssuePreview]
    teams_to_create: list[tuple[str, str]]  # (key, name)
    sprints: list[tuple[str, PlannedSprint]]  # (team key, sprint), found or created
    epics: dict[str, tuple[str, str]]  # epic key -> (title, team key): roadmap items
    unknown_assignees: list[str]
    warnings: list[str]

    @property
    def error_rows(self) -> list[IssuePreview]:
        return [issue for issue in self.issues if issue.errors]

    @property
    def is_valid(self) -> bool:
        return not self.error_rows


def _points(fields: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    for name in STORY_POINT_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        try:
            return clean_estimate(value), None
        except FieldErrors as error:
            messages = "; ".join(m for ms in error.fields.values() for m in ms)
            return None, f"Story points “{value}”: {messages}"
    return None, None


def _is_epic(fields: dict[str, Any]) -> bool:
    issue_type = fields.get("issuetype") or {}
    return str(issue_type.get("name") or "").lower() == "epic"


def _sprint(fields: dict[str, Any]) -> tuple[PlannedSprint | None, str | None]:
    """The issue's open sprint (the last one not closed), or a note on why there is none."""
    sprints = [s for s in fields.get(SPRINT_FIELD) or [] if isinstance(s, dict)]
    open_sprints = [s for s in sprints if s.get("state") in ("active", "future")]
    if not open_sprints:
        return None, ("Its sprints are closed: no sprint." if sprints else None)
    raw = open_sprints[-1]
    name = " ".join(str(raw.get("name") or "").split())[:100]
    try:
        start = date.fromisoformat(str(raw.get("startDate") or "")[:10])
        end = date.fromisoformat(str(raw.get("endDate") or "")[:10])
    except ValueError:
        return None, f"Sprint “{name}” has no dates: no sprint."
    if not name or end < start:
        return None, f"Sprint “{name}” cannot be planned here: no sprint."
    return PlannedSprint(
        name=name, start_date=start, end_date=end, goal=str(raw.get("goal") or "")
    ), None


def preview(job: ImportJob) -> JiraPreview:
    """Every issue checked against this workspace's teams and members; nothing is written."""
    workspace = job.workspace
    payload = json.loads(job.source)
    teams = {team.key: team for team in Team.objects.for_workspace(workspace)}
    members = {
        m.user.email.lower(): m.user
        for m in Membership.objects.for_workspace(workspace).select_related("user")
    }
    issues: list[IssuePreview] = []
    new_teams: dict[str, str] = {}
    unknown: list[str] = []
    parent_epics: dict[str, tuple[str, str]] = {}
    for raw in payload["issues"]:
        fields = raw.get("fields") or {}
        project = fields.get("project") or {}
        project_key = str(project.get("key") or "").upper()
        issue = IssuePreview(
            key=str(raw.get("key") or raw.get("id") or "?"),
            title=" ".join(str(fields.get("summary") or "").split())[:255],
            project_key=project_key,
            description=adf_text(fields.get("description")),
        )
        if not issue.title:
            issue.errors.append("The issue has no summary (ask Jira for fields=summary,…).")
        if not project_key:
            issue.errors.append("The issue has no project.")
        elif not TEAM_KEY.match(project_key):
            issue.errors.append(f"Project key “{project_key}” cannot be a team key.")
        elif project_key not in teams:
            new_teams.setdefault(project_key, str(project.get("name") or project_key)[:100])
        status = fields.get("status") or {}
        category_key = (status.get("statusCategory") or {}).get("key")
        issue.status_name = str(status.get("name") or "")
        issue.category = STATUS_CATEGORIES.get(str(category_key), StateCategory.BACKLOG)
        issue.estimate, points_error = _points(fields)
        if points_error:
            issue.errors.append(points_error)
        issue.is_epic = _is_epic(fields)
        parent = fields.get("parent") or {}
        if isinstance(parent, dict) and _is_epic(parent.get("fields") or {}):
            issue.epic_key = str(parent.get("key") or "")
            parent_title = " ".join(str(parent["fields"].get("summary") or "").split())[:200]
            if issue.epic_key and parent_title:
                parent_epics.setdefault(issue.epic_key, (parent_title, project_key))
        issue.sprint, sprint_note = _sprint(fields)
        if sprint_note:
            issue.notes.append(sprint_note)
        assignee = fields.get("assignee") or {}
        if assignee:
            email = str(assignee.get("emailAddress") or "").lower()
            issue.assignee = members.get(email) if email else None
            if issue.assignee is None:
                issue.assignee_label = email or str(assignee.get("displayName") or "?")
                issue.notes.append(f"Assignee {issue.assignee_label} is not a member: unassigned.")
                if issue.assignee_label not in unknown:
                    unknown.append(issue.assignee_label)
        issues.append(issue)
    warnings = [str(w) for w in payload.get("warningMessages") or []]
    sprints = {
        (i.project_key, i.sprint.name): i.sprint for i in issues if i.sprint and not i.is_epic
    }
    epics = {**parent_epics, **{i.key: (i.title, i.project_key) for i in issues if i.is_epic}}
    for issue in issues:
        if issue.epic_key and issue.epic_key not in epics:
            issue.notes.append(f"Epic {issue.epic_key} is not in the file: no roadmap item.")
    return JiraPreview(
        issues=issues,
        teams_to_create=sorted(new_teams.items()),
        sprints=[(team_key, sprint) for (team_key, _), sprint in sorted(sprints.items())],
        epics=epics,
        unknown_assignees=unknown,
        warnings=warnings,
    )


def _state(team: Team, category: str) -> WorkflowState | None:
    return WorkflowState.objects.filter(team=team, category=category).order_by("position").first()


def _roadmap_items(
    actor: Membership, teams: dict[str, Team], epics: dict[str, tuple[str, str]]
) -> dict[str, RoadmapItem]:
    """Epic key -> an item of the "Jira" roadmap with the epic's title (reused when there)."""
    if not epics:
        return {}
    workspace = actor.workspace
    roadmap = Roadmap.objects.for_workspace(workspace).filter(name__iexact=ROADMAP_NAME).first()
    try:
        if roadmap is None:
            roadmap = roadmap_services.roadmap_create(actor=actor, name=ROADMAP_NAME)
        existing = {
            item.title: item
            for item in RoadmapItem.objects.for_workspace(workspace).filter(roadmap=roadmap)
        }
        items: dict[str, RoadmapItem] = {}
        for key, (title, team_key) in epics.items():
            item = existing.get(title)
            if item is None:
                item = roadmap_services.roadmap_item_create(
                    actor=actor, roadmap=roadmap, title=title, owner_team=teams.get(team_key)
                )
                existing[title] = item
            items[key] = item
    except DomainError as error:
        raise _IssueFailed(ROADMAP_NAME, f"Roadmap: {_message(error)}") from error
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
        raise _IssueFailed(planned.name, f"Sprint {planned.name}: {_message(error)}") from error


def _message(error: DomainError) -> str:
    if isinstance(error, FieldErrors) and error.fields:
        return "; ".join(m for messages in error.fields.values() for m in messages)
    return error.text


def _fail(job: ImportJob, errors: list[dict[str, Any]]) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, errors=errors, done=0, finished_at=timezone.now()
    )


class _IssueFailed(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def run(job_id: int) -> None:
    """Create the missing teams and every issue's task in one transaction, or nothing."""
    job = ImportJob.objects.select_related("workspace").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.DRAFT):
        return
    workspace: Workspace = job.workspace
    actor = (
        Membership.objects.for_workspace(workspace)
        .filter(user_id=job.created_by_id or 0, role__in=[Role.ADMIN, Role.OWNER])
        .select_related("user", "workspace")
        .first()
    )
    if actor is None:
        _fail(job, [{"row": 0, "messages": ["The person who started this import is no admin."]}])
        return
    checked = preview(job)
    if not checked.is_valid:
        _fail(job, [{"row": i.key, "messages": i.errors} for i in checked.error_rows])
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, total=len(checked.issues), done=0, errors=[]
    )
    try:
        with transaction.atomic():
            teams = {team.key: team for team in Team.objects.for_workspace(workspace)}
            for key, name in checked.teams_to_create:
                try:
                    teams[key] = core_services.team_create(actor=actor, name=name, key=key)
                except DomainError as error:
                    raise _IssueFailed(key, f"Team {key}: {_message(error)}") from error
            sprints: dict[tuple[str, str], Sprint | None] = {}
            for team_key, planned in checked.sprints:
                sprints[(team_key, planned.name)] = _sprint_for(actor, teams[team_key], planned)
            items = _roadmap_items(actor, teams, checked.epics)
            for done, issue in enumerate(checked.issues, start=1):
                team = teams[issue.project_key]
                if issue.is_epic:
                    cache.set(progress_key(job.pk), done, timeout=3600)
                    continue
                sprint = sprints.get((team.key, issue.sprint.name)) if issue.sprint else None
                try:
                    task_services.task_create(
                        actor=actor,
                        team=team,
                        title=issue.title,
                        description=issue.description,
                        state=_state(team, issue.category),
                        assignee=issue.assignee,
                        estimate=issue.estimate,
                        sprint=sprint,
                        roadmap_item=items.get(issue.epic_key),
                    )
                except DomainError as error:
                    raise _IssueFailed(issue.key, _message(error)) from error
                cache.set(progress_key(job.pk), done, timeout=3600)
    except _IssueFailed as failed:
        _fail(job, [{"row": failed.key, "messages": [failed.message]}])
        return
    finally:
        cache.delete(progress_key(job.pk))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, done=len(checked.issues), finished_at=timezone.now()
    )
