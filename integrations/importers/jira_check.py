"""Jira issues checked against a workspace: what each becomes, and every problem as a warning.

Nothing is written here. Only what cannot be imported at all is an error (an issue with no
project, a project with no team to go to, an export that was imported already); everything
else (no summary, an unknown status, bad points or dates, links outside the file, cycles) is
a warning on its row, and the issue is imported without the part that was wrong.

Keys: an issue keeps its Jira key when its project goes to the team with the same key and the
number is free there (no task, merged task or old key of the team has it; tasks are never
deleted, so such a number was never handed out). Otherwise it gets the
team's next number, and its Jira key is kept as a `TaskKeyAlias`, so links, search, the API
and pull requests naming it still find the task; unless the Jira key's prefix is a team key
here, in which case that team's key wins and the preview says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from alignment.errors import FieldErrors
from alignment.models import Membership, Team, User, Workspace
from integrations.importers import jira_past
from integrations.importers.base import error_text
from integrations.importers.jira_model import JiraIssue, JiraSprint
from integrations.importers.jira_preview import (
    JIRA_KEY,
    LABEL_MAX,
    PRIORITIES,
    SOURCE,
    TEAM_KEY,
    IssuePreview,
    JiraPreview,
    PlannedComment,
    PlannedSprint,
)
from integrations.models import ImportedIssue
from integrations.team_keys import team_key_names
from tasks.models import (
    Label,
    Task,
    TaskAlias,
    TaskCounter,
    TaskKeyAlias,
)
from tasks.services.rules import clean_estimate


def default_team_key(project_key: str, teams: set[str]) -> str:
    """The team a project goes to unless the mapping step says otherwise: the one with its
    key, else a new team with its key, made valid (`MY_APP` -> `MYAPP`) when it is not."""
    if project_key in teams or TEAM_KEY.match(project_key):
        return project_key
    squashed = "".join(ch for ch in project_key if ch.isalnum())[:10]
    return squashed if TEAM_KEY.match(squashed) else ""


def parse_jira_datetime(raw: str) -> datetime | None:
    """Jira's `2021-01-17T12:34:00.000+0000` (REST) or `17/Jan/21 12:34 PM` (CSV), aware."""
    text = raw.strip()
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, pattern)  # noqa: DTZ007 (both patterns end in %z)
        except ValueError:
            continue
    try:
        # The CSV export writes the exporting person's local time without a zone.
        local = datetime.strptime(text, "%d/%b/%y %I:%M %p")  # noqa: DTZ007
    except ValueError:
        return None
    return timezone.make_aware(local)


def _points(value: Any) -> tuple[Decimal | None, str | None]:
    if value is None or value == "":
        return None, None
    try:
        return clean_estimate(value), None
    except FieldErrors as error:
        return None, f"Story points “{value}”: {error_text(error)} No estimate."


def _open_sprint(sprints: list[JiraSprint]) -> tuple[PlannedSprint | None, str | None]:
    """The issue's open sprint (the last one not closed), or a note on why there is none."""
    open_sprints = [s for s in sprints if s.state in ("active", "future")]
    if not open_sprints:
        # Closed sprints are recreated as closed, with the issue's history in them (jira_past).
        return None, None
    raw = open_sprints[-1]
    try:
        start = date.fromisoformat(raw.start)
        end = date.fromisoformat(raw.end)
    except ValueError:
        return None, f"Sprint “{raw.name}” has no dates: no sprint."
    if not raw.name or end < start:
        return None, f"Sprint “{raw.name}” cannot be planned here: no sprint."
    planned = PlannedSprint(
        name=raw.name,
        start_date=start,
        end_date=end,
        goal=raw.goal,
        is_active=raw.state == "active",
    )
    return planned, None


@dataclass
class _Context:
    """What the check reads from the workspace once, before looking at any issue."""

    teams: dict[str, Team]
    counters: dict[int, int]
    key_names: dict[str, str]  # every key naming a team here (old ones too) -> current
    members: dict[str, User]
    labels: dict[str, str]  # casefolded -> the name as stored
    imported: dict[str, ImportedIssue]
    aliases_taken: set[str]
    numbers_used: set[tuple[str, int]]  # (team key, number) of the file's keys, taken here

    @classmethod
    def read(cls, workspace: Workspace, keys: list[str]) -> _Context:
        teams = {team.key: team for team in Team.objects.for_workspace(workspace)}
        numbers = {int(m.group(2)) for m in map(JIRA_KEY.match, keys) if m}
        # Tasks are never deleted (merges leave tombstones), so a number no task and no old
        # key of the team has was never handed out: an issue may keep it.
        used = Task.all_objects.filter(team__workspace=workspace, number__in=numbers)
        moved = TaskAlias.objects.for_workspace(workspace).filter(number__in=numbers)
        return cls(
            teams=teams,
            counters=dict(
                TaskCounter.objects.filter(team__workspace=workspace).values_list(
                    "team_id", "last_number"
                )
            ),
            key_names=team_key_names(workspace.pk, teams),
            members={
                m.user.email.lower(): m.user
                for m in Membership.objects.for_workspace(workspace).select_related("user")
            },
            labels={
                name.casefold(): name
                for name in Label.objects.for_workspace(workspace).values_list("name", flat=True)
            },
            imported={
                row.external_key: row
                for row in ImportedIssue.objects.for_workspace(workspace)
                .filter(source=SOURCE, external_key__in=keys)
                .select_related("task__team")
            },
            aliases_taken=set(
                TaskKeyAlias.objects.for_workspace(workspace)
                .filter(key__in=keys)
                .values_list("key", flat=True)
            ),
            numbers_used=set(used.values_list("team__key", "number"))
            | set(moved.values_list("team__key", "number")),
        )


def check(
    workspace: Workspace,
    raw_issues: list[JiraIssue],
    warnings: list[str],
    *,
    projects: dict[str, str] | None = None,
) -> JiraPreview:
    """Issues checked against this workspace's teams and members; nothing is written.

    `projects`: Jira project key -> the key of the team it goes to (the mapping step)."""
    ctx = _Context.read(workspace, [raw.key for raw in raw_issues])
    projects = projects or {}
    found = _Found()
    for raw in raw_issues:
        team_key = projects.get(raw.project_key) or default_team_key(
            raw.project_key, set(ctx.teams)
        )
        found.issues.append(_check_issue(raw, team_key, ctx, found))
    preview = JiraPreview(
        issues=found.issues,
        teams_to_create=sorted(found.new_teams.items()),
        sprints=[],
        epics={},
        unknown_assignees=found.unknown,
        warnings=warnings,
        labels_to_create=sorted(found.new_labels.values(), key=str.casefold),
        existing_tasks={
            key: row.task_id for key, row in ctx.imported.items() if row.task_id is not None
        },
        existing_items={
            key: row.roadmap_item_id
            for key, row in ctx.imported.items()
            if row.roadmap_item_id is not None
        },
    )
    _epics(preview, found.parent_epics)
    _sprints(preview)
    _keys(preview, ctx)
    _parents(preview)
    _dependencies(preview, raw_issues)
    jira_past.plan(preview, raw_issues, workspace)
    return preview


@dataclass
class _Found:
    """What the check gathers over the whole file while reading its issues one by one."""

    issues: list[IssuePreview] = field(default_factory=list)
    new_teams: dict[str, str] = field(default_factory=dict)  # team key -> name
    unknown: list[str] = field(default_factory=list)  # assignees who are not members
    parent_epics: dict[str, tuple[str, str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    new_labels: dict[str, str] = field(default_factory=dict)


def _check_issue(raw: JiraIssue, team_key: str, ctx: _Context, found: _Found) -> IssuePreview:
    """One issue's row: what it becomes, its errors and warnings."""
    issue = IssuePreview(
        key=raw.key,
        title=raw.summary,
        project_key=team_key,
        description=raw.description,
        category=raw.category,
        status_name=raw.status_name,
        is_epic=raw.is_epic,
        notes=list(raw.notes),
    )
    if raw.key in found.seen:
        issue.imported_as = "(earlier in this file)"
        issue.notes.append("It appears twice in the file: imported once.")
        return issue
    found.seen.add(raw.key)
    if not issue.title:
        issue.title = f"{raw.key} (no summary in Jira)"
        issue.notes.append("It has no summary: titled by its key.")
    _team(issue, raw, team_key, ctx, found)
    earlier = ctx.imported.get(raw.key)
    if earlier is not None:
        issue.imported_as = earlier.task.key if earlier.task is not None else "a roadmap item"
        issue.notes.append(f"Imported before as {issue.imported_as}: skipped.")
        return issue
    issue.estimate, points_note = _points(raw.points)
    if points_note:
        issue.notes.append(points_note)
    _parent(issue, raw, team_key, found)
    issue.sprint, sprint_note = _open_sprint(raw.sprints)
    if sprint_note:
        issue.notes.append(sprint_note)
    _assignee(issue, raw, ctx, found)
    _priority(issue, raw)
    _labels(issue, raw, ctx, found.new_labels)
    _comments(issue, raw, ctx)
    return issue


def _team(issue: IssuePreview, raw: JiraIssue, team_key: str, ctx: _Context, found: _Found) -> None:
    """The team the issue goes to: an error when there can be none, a new team when needed."""
    if not raw.project_key:
        issue.errors.append("The issue has no project.")
    elif not team_key:
        issue.errors.append(
            f"Project key “{raw.project_key}” cannot be a team key: choose its team."
        )
    elif not TEAM_KEY.match(team_key):
        issue.errors.append(f"“{team_key}” cannot be a team key: choose another team.")
    elif team_key not in ctx.teams:
        found.new_teams.setdefault(team_key, raw.project_name or raw.project_key)


def _parent(issue: IssuePreview, raw: JiraIssue, team_key: str, found: _Found) -> None:
    """Under an epic (a roadmap item) or under a parent task (a sub-task)."""
    if raw.parent_key and raw.parent_is_epic:
        issue.epic_key = raw.parent_key
        if raw.parent_summary:
            found.parent_epics.setdefault(issue.epic_key, (raw.parent_summary, team_key))
    elif raw.parent_key:
        issue.parent_key = raw.parent_key


def _assignee(issue: IssuePreview, raw: JiraIssue, ctx: _Context, found: _Found) -> None:
    """The member it is assigned to; someone who is not a member leaves it unassigned."""
    if not raw.has_assignee:
        return
    email = raw.assignee_email
    issue.assignee = ctx.members.get(email) if email else None
    if issue.assignee is None:
        issue.assignee_label = email or raw.assignee_name or "?"
        issue.notes.append(f"Assignee {issue.assignee_label} is not a member: unassigned.")
        if issue.assignee_label not in found.unknown:
            found.unknown.append(issue.assignee_label)


def _priority(issue: IssuePreview, raw: JiraIssue) -> None:
    if not raw.priority:
        return
    mapped = PRIORITIES.get(raw.priority.casefold())
    if mapped is None:
        issue.notes.append(f"Priority “{raw.priority}” is unknown here: no priority.")
    else:
        issue.priority = mapped


def _labels(issue: IssuePreview, raw: JiraIssue, ctx: _Context, new_labels: dict[str, str]) -> None:
    for name in dict.fromkeys(" ".join(label.split()) for label in raw.labels):
        if not name:
            continue
        if len(name) > LABEL_MAX:
            issue.notes.append(f"Label “{name[:20]}…” is longer than {LABEL_MAX} characters.")
            continue
        folded = name.casefold()
        stored = ctx.labels.get(folded) or new_labels.setdefault(folded, name)
        if stored not in issue.labels:
            issue.labels.append(stored)


def _comments(issue: IssuePreview, raw: JiraIssue, ctx: _Context) -> None:
    for comment in raw.comments:
        body = comment.body.strip()
        if not body:
            continue
        created = parse_jira_datetime(comment.created)
        if created is None:
            issue.notes.append(
                f"A comment's date “{comment.created}” cannot be read: dated at the import."
            )
            created = timezone.now()
        author = ctx.members.get(comment.author_email) if comment.author_email else None
        if author is None:
            # The writer is not a member here: their name stays in the text.
            name = comment.author_name or comment.author_email or "Someone"
            body = f"*{name} wrote in Jira:*\n\n{body}"
        issue.comments.append(PlannedComment(author=author, body=body, created_at=created))


def _epics(preview: JiraPreview, parent_epics: dict[str, tuple[str, str]]) -> None:
    epics = {
        **parent_epics,
        **{
            i.key: (i.title, i.project_key)
            for i in preview.issues
            if i.is_epic and not i.is_skipped
        },
    }
    # Epics imported before are reused, never made again.
    preview.epics = {k: v for k, v in epics.items() if k not in preview.existing_items}
    for issue in preview.issues:
        known = issue.epic_key in epics or issue.epic_key in preview.existing_items
        if issue.epic_key and not known:
            issue.notes.append(f"Epic {issue.epic_key} is not in the file: no roadmap item.")


def _sprints(preview: JiraPreview) -> None:
    planned: dict[tuple[str, str], PlannedSprint] = {}
    for issue in preview.issues:
        if issue.sprint and not issue.is_epic and not issue.is_skipped:
            known = planned.setdefault((issue.project_key, issue.sprint.name), issue.sprint)
            if issue.sprint.is_active and not known.is_active:
                planned[(issue.project_key, issue.sprint.name)] = issue.sprint
    preview.sprints = [(team_key, sprint) for (team_key, _), sprint in sorted(planned.items())]


def _keys(preview: JiraPreview, ctx: _Context) -> None:
    """Which issues keep their Jira number, which get the team's next one (and an alias)."""
    floors = {key: ctx.counters.get(team.pk, 0) for key, team in ctx.teams.items()}
    reserve = _keep_jira_numbers(preview, ctx)
    preview.reserve = reserve
    next_numbers = {key: max(floors.get(key, 0), reserve.get(key, 0)) for key in reserve}
    for key, floor in floors.items():
        next_numbers.setdefault(key, floor)
    new_team_keys = {key for key, _ in preview.teams_to_create}
    for issue in preview.creation_order():
        if issue.errors:
            continue
        if issue.number is not None:
            issue.planned_key = f"{issue.project_key}-{issue.number}"
            continue
        next_numbers[issue.project_key] = next_numbers.get(issue.project_key, 0) + 1
        issue.planned_key = f"{issue.project_key}-{next_numbers[issue.project_key]}"
        _alias(issue, ctx, new_team_keys)


def _keep_jira_numbers(preview: JiraPreview, ctx: _Context) -> dict[str, int]:
    """Issues of a project going to the team of the same key keep their number when it is
    free here; the highest such number per team (the counter's floor)."""
    reserve: dict[str, int] = {}
    for issue in preview.issues:
        match = JIRA_KEY.match(issue.key)
        if match and match.group(1) == issue.project_key and not issue.is_skipped:
            number = int(match.group(2))
            if (issue.project_key, number) not in ctx.numbers_used:
                # Epic numbers too: a later task must not take a key Jira gave the epic.
                reserve[issue.project_key] = max(reserve.get(issue.project_key, 0), number)
                if not issue.is_epic:
                    issue.number = number
    return reserve


def _alias(issue: IssuePreview, ctx: _Context, new_team_keys: set[str]) -> None:
    """A renumbered issue keeps its Jira key as an alias, unless the key cannot be one."""
    match = JIRA_KEY.match(issue.key)
    alias = f"{match.group(1)}-{int(match.group(2))}" if match else ""
    prefix = match.group(1) if match else ""
    if not alias or not TEAM_KEY.match(prefix):
        issue.notes.append(
            f"Its Jira key {issue.key} is not shaped like a key here: links naming it "
            "will not find it."
        )
    elif prefix in ctx.key_names or prefix in new_team_keys:
        issue.notes.append(
            f"{issue.key} is a key of team {ctx.key_names.get(prefix, prefix)} here: imported "
            f"as {issue.planned_key}, and links naming {issue.key} find that team's task."
        )
    elif alias in ctx.aliases_taken:
        issue.notes.append(f"{alias} already leads to another task: no alias.")
    else:
        issue.alias = alias


def _parents(preview: JiraPreview) -> None:
    in_file = {i.key for i in preview.issues if not i.is_epic and not i.is_skipped}
    for issue in preview.issues:
        known = issue.parent_key in in_file or issue.parent_key in preview.existing_tasks
        if issue.parent_key and not known:
            issue.notes.append(f"Parent {issue.parent_key} is not in the file: no parent.")
            issue.parent_key = ""


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return False


def _dependencies(preview: JiraPreview, raw_issues: list[JiraIssue]) -> None:
    """Blocking links as (blocking, blocked) pairs, once each; a pair that would close a
    cycle is refused with a warning, as the tasks' own dependency rule would refuse it."""
    by_key = {i.key: i for i in preview.issues}
    targets = {
        i.key for i in preview.issues if not i.is_epic and not i.is_skipped and not i.errors
    } | set(preview.existing_tasks)
    edges: dict[str, set[str]] = {}
    pairs: list[tuple[str, str]] = []
    for raw in raw_issues:
        issue = by_key[raw.key]
        if issue.is_skipped or issue.is_epic or issue.errors:
            continue
        others: list[str] = []
        for link in raw.links:
            if link.relation not in ("blocks", "blocked_by"):
                others.append(f"{link.relation} {link.other_key}")
                continue
            if link.other_key not in targets:
                issue.notes.append(
                    f"Link to {link.other_key} dropped: it is not in the file nor imported before."
                )
                continue
            pair = (
                (raw.key, link.other_key)
                if link.relation == "blocks"
                else (link.other_key, raw.key)
            )
            if pair in pairs or pair[0] == pair[1]:
                continue
            if _reaches(edges, pair[1], pair[0]):
                issue.notes.append(
                    f"{pair[0]} blocks {pair[1]} would close a cycle of dependencies: not imported."
                )
                continue
            edges.setdefault(pair[0], set()).add(pair[1])
            pairs.append(pair)
        if others:
            issue.notes.append(
                f"Links that are no dependency are not imported: {', '.join(others)}."
            )
    preview.dependencies = pairs
