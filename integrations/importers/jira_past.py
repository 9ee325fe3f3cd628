"""What happened to Jira issues before the import: closed sprints and status history.

Velocity, burndown and cycle time are replayed from task history (tasks.sprint_scope), so a
Jira board whose past sprints vanished would start every team at zero. From the export:

- every *closed* sprint an issue names, with its dates (`startDate`, `endDate`, and
  `completeDate` when Jira gives it), is recreated as a closed sprint of the issue's team;
  a closed sprint without dates (Jira's CSV names sprints only) is noted and left out;
- each issue's past becomes steps (tasks.services.history_import.PastMoment): it entered each
  sprint when that sprint started; an unfinished issue left its last closed sprint when that
  sprint closed (as a close here carries it to the backlog); a finished issue whose last sprint
  is closed was finished in it, at its `resolutiondate` when that falls inside the sprint,
  else just before the close. With `expand=changelog`, status changes are the real ones, each
  status taking the category Jira gives that status on the issues of the file.

Nothing is written here: the preview carries the plan, `jira_write` writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from alignment.models import Workspace
from integrations.importers.jira_model import JiraIssue, JiraSprint
from tasks.models import Sprint, SprintStatus, StateCategory
from tasks.services.history_import import start_of

if TYPE_CHECKING:
    from integrations.importers.jira_preview import JiraPreview


@dataclass(frozen=True)
class PlannedClosedSprint:
    name: str
    start_date: date
    end_date: date
    closed_at: datetime
    goal: str = ""

    @property
    def started_at(self) -> datetime:
        return start_of(self.start_date)


@dataclass(frozen=True)
class PastStep:
    """The issue just after one change: `sprint` names a closed sprint of its team, or ""."""

    at: datetime
    category: str
    state_name: str
    sprint: str


@dataclass
class IssuePast:
    created_at: datetime | None = None
    steps: list[PastStep] = field(default_factory=list)
    closed_sprint: str = ""  # a finished issue stays in the closed sprint it was finished in


def parse_when(raw: str) -> datetime | None:
    from integrations.importers.jira_check import parse_jira_datetime

    return parse_jira_datetime(raw) if raw else None


def closed_sprint(raw: JiraSprint, now: datetime) -> tuple[PlannedClosedSprint | None, str]:
    """The closed sprint to recreate, or why it cannot be."""
    try:
        start, end = date.fromisoformat(raw.start), date.fromisoformat(raw.end)
    except ValueError:
        return None, f"Closed sprint “{raw.name}” has no dates: its history is not recreated."
    if not raw.name or end < start:
        return None, f"Closed sprint “{raw.name}” has no valid dates: not recreated."
    closed_at = parse_when(raw.complete) or start_of(end + timedelta(days=1)) - timedelta(seconds=1)
    if closed_at >= now:
        return None, f"Closed sprint “{raw.name}” closes after today: not recreated."
    planned = PlannedClosedSprint(raw.name, start, end, max(closed_at, start_of(start)), raw.goal)
    return planned, ""


def status_categories(issues: list[JiraIssue]) -> dict[str, str]:
    """Status name (casefolded) -> our category, as the file's issues in that status say."""
    found: dict[str, str] = {}
    for issue in issues:
        if issue.status_name and issue.category:
            found.setdefault(issue.status_name.casefold(), issue.category)
    return found


Change = tuple[datetime, int, str, object]  # (when, order, "sprint" | "state", what)


def issue_past(
    raw: JiraIssue,
    sprints: dict[str, PlannedClosedSprint],
    categories: dict[str, str],
    now: datetime,
) -> tuple[IssuePast, list[str]]:
    """The steps of one issue; `sprints` are the closed sprints recreated for its team."""
    past, notes = IssuePast(created_at=parse_when(raw.created)), []
    mine = sorted(
        (sprints[s.name] for s in raw.sprints if s.state == "closed" and s.name in sprints),
        key=lambda s: s.started_at,
    )
    is_open_now = any(s.state in ("active", "future") for s in raw.sprints)
    # Sprint changes ("sprint", name) and status changes ("state", (category, name)).
    changes = _sprint_changes(raw, mine, is_open_now)
    state_changes, first_state, unknown = _state_changes(raw, categories)
    changes += state_changes
    if unknown:
        notes.append(
            "Status changes to "
            + ", ".join(f"“{u}”" for u in sorted(unknown))
            + " have no known category or date: left out of its history."
        )
    if raw.category == StateCategory.DONE and mine and not is_open_now:
        changes += _done_in_last_sprint(raw, mine[-1])
        past.closed_sprint = mine[-1].name
    if changes:
        past.steps = _steps(past.created_at, changes, first_state, now)
    return past, notes


def _sprint_changes(
    raw: JiraIssue, mine: list[PlannedClosedSprint], is_open_now: bool
) -> list[Change]:
    """Into each closed sprint when it started; out of the last one to the backlog when it
    closed, unless the issue is in an open sprint now or was finished."""
    changes: list[Change] = []
    for index, sprint in enumerate(mine):
        changes.append((sprint.started_at, 0, "sprint", sprint.name))
        last = index == len(mine) - 1
        if last and not is_open_now and raw.category != StateCategory.DONE:
            changes.append((sprint.closed_at, 0, "sprint", ""))  # carried to the backlog
    return changes


def _state_changes(
    raw: JiraIssue, categories: dict[str, str]
) -> tuple[list[Change], tuple[str, str], set[str]]:
    """The status changes with a known category and date, the state before the first of them,
    and the statuses (or times) left out."""
    changes: list[Change] = []
    unknown: set[str] = set()
    first_state: tuple[str, str] = (StateCategory.UNSTARTED, "")
    for change in raw.status_changes:
        at = parse_when(change.at)
        category = categories.get(change.to_name.casefold())
        if at is None or category is None:
            unknown.add(change.to_name or change.at)
            continue
        if not changes:
            before = categories.get(change.from_name.casefold())
            first_state = (before or StateCategory.UNSTARTED, change.from_name)
        changes.append((at, 1, "state", (category, change.to_name)))
    return changes, first_state, unknown


def _done_in_last_sprint(raw: JiraIssue, final: PlannedClosedSprint) -> list[Change]:
    """A finished issue without status history was done when resolved (inside its last
    sprint), else just before that sprint closed."""
    if raw.status_changes:
        return []
    resolved = parse_when(raw.resolved)
    inside = resolved is not None and final.started_at < resolved < final.closed_at
    done_at = resolved if inside else final.closed_at - timedelta(seconds=1)
    assert done_at is not None
    return [(done_at, 1, "state", (StateCategory.DONE, raw.status_name))]


def _steps(
    created_at: datetime | None,
    changes: list[Change],
    first_state: tuple[str, str],
    now: datetime,
) -> list[PastStep]:
    """The issue's states and sprints over time, from its creation (else its first change);
    changes from now on are left out."""
    start = created_at or min(at for at, *_ in changes)
    category, state_name = first_state
    current = ""
    steps = [PastStep(start, category, state_name, "")]
    for at, _, kind, value in sorted(changes, key=lambda c: (c[0], c[1])):
        if at >= now:
            continue
        if kind == "sprint":
            current = str(value)
        else:
            category, state_name = value  # type: ignore[misc]
        steps.append(PastStep(max(at, start), category, state_name, current))
    return steps


def plan(preview: JiraPreview, raw_issues: list[JiraIssue], workspace: Workspace) -> None:
    """Closed sprints to recreate per team, and each issue's past, onto the preview."""
    now = timezone.now()
    dated = any(s.state == "closed" and s.start and s.end for i in raw_issues for s in i.sprints)
    existing = (
        {
            (team_key, name): status
            for team_key, name, status in Sprint.objects.for_workspace(workspace).values_list(
                "team__key", "name", "status"
            )
        }
        if dated  # no query when no closed sprint can be recreated
        else {}
    )
    categories = status_categories(raw_issues)
    by_key = {issue.key: issue for issue in preview.issues}
    planned: dict[tuple[str, str], PlannedClosedSprint] = {}
    for raw in raw_issues:
        issue = by_key[raw.key]
        if issue.is_skipped or issue.is_epic or issue.errors:
            continue
        team_sprints: dict[str, PlannedClosedSprint] = {}
        for raw_sprint in raw.sprints:
            if raw_sprint.state != "closed":
                continue
            sprint, note = closed_sprint(raw_sprint, now)
            status = existing.get((issue.project_key, raw_sprint.name))
            if sprint is not None and status not in (None, SprintStatus.CLOSED):
                sprint, note = (
                    None,
                    (
                        f"Sprint “{raw_sprint.name}” exists here and is not closed: the history "
                        "in Jira's closed sprint of that name is not recreated."
                    ),
                )
            if sprint is None:
                if note not in issue.notes:
                    issue.notes.append(note)
                continue
            team_sprints[sprint.name] = planned.setdefault((issue.project_key, sprint.name), sprint)
        issue.past, notes = issue_past(raw, team_sprints, categories, now)
        issue.notes += notes
    preview.closed_sprints = [
        (team_key, sprint)
        for (team_key, name), sprint in sorted(planned.items())
        if (team_key, name) not in existing
    ]
