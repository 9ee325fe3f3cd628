"""Issues from Jira's search API (`/rest/api/3/search` or `/search/jql` JSON) into tasks.

Both Jira formats read into the same intermediate `JiraIssue`: this module reads the JSON,
`jira_csv` reads the CSV export; `check` and `write` below are the one mapping and commit.

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

from alignment import services as core_services
from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership, Team, User, Workspace
from integrations.importers.base import RowFailed, Tick, error_text, execute
from integrations.importers.errors import UploadInvalid
from integrations.models import ImportJob
from roadmaps import services as roadmap_services
from roadmaps.models import Roadmap, RoadmapItem
from tasks import services as task_services
from tasks.models import Sprint, SprintStatus, StateCategory, WorkflowState
from tasks.services.rules import clean_estimate

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


def _line(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


@dataclass(frozen=True)
class JiraSprint:
    """A sprint as Jira names it on an issue; dates are ISO text (empty when unknown)."""

    name: str
    state: str  # Jira's: "active", "future" or "closed"
    start: str = ""
    end: str = ""
    goal: str = ""


@dataclass
class JiraIssue:
    """One issue as either Jira export describes it, before it is checked against a workspace."""

    key: str
    summary: str
    project_key: str
    project_name: str
    category: str  # ours (StateCategory), already mapped from Jira's status
    status_name: str = ""
    is_epic: bool = False
    points: Any = None  # the raw story points, None when the issue has none
    description: str = ""
    sprints: list[JiraSprint] = field(default_factory=list)
    parent_key: str = ""
    parent_summary: str = ""
    parent_is_epic: bool = False
    assignee_email: str = ""
    assignee_name: str = ""
    has_assignee: bool = False


def _is_epic(fields: dict[str, Any]) -> bool:
    issue_type = fields.get("issuetype") or {}
    return str(issue_type.get("name") or "").lower() == "epic"


def issues_from_search(payload: dict[str, Any]) -> list[JiraIssue]:
    """The issues of a search response, read into the intermediate shape."""
    issues: list[JiraIssue] = []
    for raw in payload["issues"]:
        fields = raw.get("fields") or {}
        project = fields.get("project") or {}
        status = fields.get("status") or {}
        category_key = (status.get("statusCategory") or {}).get("key")
        parent = fields.get("parent") or {}
        parent_fields = (parent.get("fields") or {}) if isinstance(parent, dict) else {}
        assignee = fields.get("assignee") or {}
        sprints = [s for s in fields.get(SPRINT_FIELD) or [] if isinstance(s, dict)]
        issues.append(
            JiraIssue(
                key=str(raw.get("key") or raw.get("id") or "?"),
                summary=_line(fields.get("summary"), 255),
                project_key=str(project.get("key") or "").upper(),
                project_name=_line(project.get("name"), 100),
                category=STATUS_CATEGORIES.get(str(category_key), StateCategory.BACKLOG),
                status_name=str(status.get("name") or ""),
                is_epic=_is_epic(fields),
                points=next(
                    (fields[n] for n in STORY_POINT_FIELDS if fields.get(n) is not None), None
                ),
                description=adf_text(fields.get("description")),
                sprints=[
                    JiraSprint(
                        name=_line(s.get("name"), 100),
                        state=str(s.get("state") or ""),
                        start=str(s.get("startDate") or "")[:10],
                        end=str(s.get("endDate") or "")[:10],
                        goal=str(s.get("goal") or ""),
                    )
                    for s in sprints
                ],
                parent_key=str(parent.get("key") or "") if parent_fields else "",
                parent_summary=_line(parent_fields.get("summary"), 200),
                parent_is_epic=_is_epic(parent_fields),
                assignee_email=str(assignee.get("emailAddress") or "").lower(),
                assignee_name=str(assignee.get("displayName") or ""),
                has_assignee=bool(assignee),
            )
        )
    return issues


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

    @property
    def total(self) -> int:
        return len(self.issues)

    def job_errors(self) -> list[dict[str, Any]]:
        return [{"row": i.key, "messages": i.errors} for i in self.error_rows]


def _points(value: Any) -> tuple[Decimal | None, str | None]:
    if value is None or value == "":
        return None, None
    try:
        return clean_estimate(value), None
    except FieldErrors as error:
        return None, f"Story points “{value}”: {error_text(error)}"


def _open_sprint(sprints: list[JiraSprint]) -> tuple[PlannedSprint | None, str | None]:
    """The issue's open sprint (the last one not closed), or a note on why there is none."""
    open_sprints = [s for s in sprints if s.state in ("active", "future")]
    if not open_sprints:
        return None, ("Its sprints are closed: no sprint." if sprints else None)
    raw = open_sprints[-1]
    try:
        start = date.fromisoformat(raw.start)
        end = date.fromisoformat(raw.end)
    except ValueError:
        return None, f"Sprint “{raw.name}” has no dates: no sprint."
    if not raw.name or end < start:
        return None, f"Sprint “{raw.name}” cannot be planned here: no sprint."
    return PlannedSprint(name=raw.name, start_date=start, end_date=end, goal=raw.goal), None


def preview(job: ImportJob) -> JiraPreview:
    """Every issue of the search JSON checked against this workspace; nothing is written."""
    payload = json.loads(job.source)
    warnings = [str(w) for w in payload.get("warningMessages") or []]
    return check(job.workspace, issues_from_search(payload), warnings)


def check(workspace: Workspace, raw_issues: list[JiraIssue], warnings: list[str]) -> JiraPreview:
    """Issues checked against this workspace's teams and members; nothing is written."""
    teams = {team.key: team for team in Team.objects.for_workspace(workspace)}
    members = {
        m.user.email.lower(): m.user
        for m in Membership.objects.for_workspace(workspace).select_related("user")
    }
    issues: list[IssuePreview] = []
    new_teams: dict[str, str] = {}
    unknown: list[str] = []
    parent_epics: dict[str, tuple[str, str]] = {}
    for raw in raw_issues:
        project_key = raw.project_key
        issue = IssuePreview(
            key=raw.key,
            title=raw.summary,
            project_key=project_key,
            description=raw.description,
            category=raw.category,
            status_name=raw.status_name,
            is_epic=raw.is_epic,
        )
        if not issue.title:
            issue.errors.append("The issue has no summary (ask Jira for fields=summary,…).")
        if not project_key:
            issue.errors.append("The issue has no project.")
        elif not TEAM_KEY.match(project_key):
            issue.errors.append(f"Project key “{project_key}” cannot be a team key.")
        elif project_key not in teams:
            new_teams.setdefault(project_key, raw.project_name or project_key)
        issue.estimate, points_error = _points(raw.points)
        if points_error:
            issue.errors.append(points_error)
        if raw.parent_key and raw.parent_is_epic:
            issue.epic_key = raw.parent_key
            if raw.parent_summary:
                parent_epics.setdefault(issue.epic_key, (raw.parent_summary, project_key))
        issue.sprint, sprint_note = _open_sprint(raw.sprints)
        if sprint_note:
            issue.notes.append(sprint_note)
        if raw.has_assignee:
            email = raw.assignee_email
            issue.assignee = members.get(email) if email else None
            if issue.assignee is None:
                issue.assignee_label = email or raw.assignee_name or "?"
                issue.notes.append(f"Assignee {issue.assignee_label} is not a member: unassigned.")
                if issue.assignee_label not in unknown:
                    unknown.append(issue.assignee_label)
        issues.append(issue)
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


def write(actor: Membership, checked: JiraPreview, tick: Tick) -> None:
    """Create the missing teams, sprints and epics' items, then every issue's task."""
    teams = {team.key: team for team in Team.objects.for_workspace(actor.workspace)}
    for key, name in checked.teams_to_create:
        try:
            teams[key] = core_services.team_create(actor=actor, name=name, key=key)
        except DomainError as error:
            raise RowFailed(key, f"Team {key}: {error_text(error)}") from error
    sprints: dict[tuple[str, str], Sprint | None] = {}
    for team_key, planned in checked.sprints:
        sprints[(team_key, planned.name)] = _sprint_for(actor, teams[team_key], planned)
    items = _roadmap_items(actor, teams, checked.epics)
    for done, issue in enumerate(checked.issues, start=1):
        team = teams[issue.project_key]
        if issue.is_epic:
            tick(done)
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
            raise RowFailed(issue.key, error_text(error)) from error
        tick(done)


def run(job_id: int) -> None:
    """Create the missing teams and every issue's task in one transaction, or nothing."""
    execute(job_id, preview=preview, write=write)
