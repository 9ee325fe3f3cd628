"""Issues from Jira's CSV export ("Export CSV (all fields)") into the Jira JSON importer's
intermediate `JiraIssue`, so both formats are checked and written by the same code in `jira`.

The CSV says less than the search JSON: a sprint is only a name (no dates, no state), a status
only a name (plus "Status Category" in newer exports), an assignee only a display name (Jira
Cloud leaves e-mails out), a parent only an issue id. The mapping step fills those gaps: each
status gets one of our categories, each sprint is marked open with its dates or closed, each
assignee is matched to a member. Its answers are kept in `ImportJob.mapping`:
`{"statuses": {name: category}, "sprints": {name: {"open": bool, "start": iso, "end": iso}},
"assignees": {name: email}, "custom": {"Custom field (Customer)": our field id}}` (Jira custom
field columns onto ours, as the JSON import's `jira_custom`). Column names repeat (`Sprint`,
`Labels`), so the header is read as a list and a column's values are gathered from every
position that has its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from alignment.models import Membership, Team, Workspace
from customfields import cells as custom_cells
from integrations.importers import jira, jira_attachments, jira_custom, tabular
from integrations.importers.base import execute
from integrations.importers.errors import UploadInvalid
from integrations.importers.jira_fields import FieldChoice
from integrations.importers.jira_model import JiraAttachment, JiraComment, JiraLink
from integrations.models import ImportJob
from tasks.models import Sprint, StateCategory

# Our name -> the squashed header names Jira uses for it, in order of preference.
COLUMNS: dict[str, tuple[str, ...]] = {
    "summary": ("summary",),
    "key": ("issuekey", "key"),
    "id": ("issueid",),
    "type": ("issuetype",),
    "status": ("status",),
    "status_category": ("statuscategory",),
    "project_key": ("projectkey",),
    "project_name": ("projectname", "project"),
    "assignee": ("assignee",),
    "assignee_email": ("assigneeemail", "assigneeemailaddress", "customfieldassigneeemail"),
    "sprint": ("sprint",),
    "points": ("customfieldstorypoints", "customfieldstorypointestimate", "storypoints"),
    "parent": ("parent", "parentid", "parentkey"),
    "parent_summary": ("parentsummary",),
    "epic_link": ("customfieldepiclink", "epiclink"),
    "description": ("description",),
    "priority": ("priority",),
    "labels": ("labels",),
    "comment": ("comment",),
    "attachment": ("attachment",),
    "assignee_id": ("assigneeid",),
    "reporter": ("reporter",),
    "reporter_id": ("reporterid",),
    "creator": ("creator",),
    "creator_id": ("creatorid",),
    "created": ("created",),
    "resolved_at": ("resolved",),
}
# "Outward issue link (Blocks)" and the like: one column family per link type.
# "Custom field (Customer)": a Jira custom field the mapping step may send to one of ours
# (unless a role above already reads it: story points, epic link, assignee e-mail).
CUSTOM_HEADER = re.compile(r"^custom\s*field\s*\((.+)\)$", re.IGNORECASE)
CUSTOM = "custom:"
LINK_HEADER = re.compile(r"^(outward|inward)\s+issue\s+link\s*\((.+)\)$", re.IGNORECASE)
DEPENDENCY_LINK_TYPES = {"blocks", "dependent", "dependency", "depends"}
# Jira's status category names (the "Status Category" column) -> ours.
CATEGORY_NAMES = {
    "to do": StateCategory.UNSTARTED,
    "in progress": StateCategory.STARTED,
    "done": StateCategory.DONE,
}
# Status names common in Jira workflows, for files without a "Status Category" column.
STATUS_GUESSES = {
    "backlog": StateCategory.BACKLOG,
    "to do": StateCategory.UNSTARTED,
    "open": StateCategory.UNSTARTED,
    "new": StateCategory.UNSTARTED,
    "selected for development": StateCategory.UNSTARTED,
    "in progress": StateCategory.STARTED,
    "in review": StateCategory.STARTED,
    "code review": StateCategory.STARTED,
    "testing": StateCategory.STARTED,
    "done": StateCategory.DONE,
    "closed": StateCategory.DONE,
    "resolved": StateCategory.DONE,
    "won't do": StateCategory.CANCELED,
    "cancelled": StateCategory.CANCELED,
    "canceled": StateCategory.CANCELED,
}
ISSUE_KEY = re.compile(r"^([A-Z][A-Z0-9]{0,9})-\d+$")


def looks_like_csv(text: str) -> bool:
    """Jira's JSON starts with "{"; anything else is taken for its CSV export."""
    return not text.lstrip().startswith("{")


@dataclass
class CsvIssue:
    """One row of the export: the columns the import reads, repeated columns as lists."""

    number: int
    cells: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        return next((value for value in self.cells.get(name, []) if value), "")


def _parse(text: str) -> list[CsvIssue]:
    rows = tabular.read_rows(text)
    raw_header = [cell.strip() for cell in rows[0]] if rows else []
    header = [tabular.squash(cell) for cell in raw_header]
    positions: dict[str, list[int]] = {}
    for name, aliases in COLUMNS.items():
        for alias in aliases:
            positions.setdefault(name, []).extend(i for i, h in enumerate(header) if h == alias)
    claimed = {i for indexes in positions.values() for i in indexes}
    for i, cell in enumerate(raw_header):
        match = LINK_HEADER.match(cell)
        if match:
            name = f"link:{match.group(1).lower()}:{match.group(2).strip()}"
            positions.setdefault(name, []).append(i)
        custom = CUSTOM_HEADER.match(cell)
        if custom and i not in claimed:
            # Repeated columns of one field (a multi select) gather under its header.
            header_name = f"Custom field ({' '.join(custom.group(1).split())})"
            positions.setdefault(f"{CUSTOM}{header_name}", []).append(i)
    issues = []
    for number, cells in enumerate(rows[1:], start=2):
        values = {
            name: [cells[i].strip() if i < len(cells) else "" for i in indexes]
            for name, indexes in positions.items()
        }
        issues.append(CsvIssue(number=number, cells=values))
    return issues


def decode(data: bytes) -> str:
    """The CSV text, once its header shows it is Jira's issue export."""
    text = tabular.decode(data)
    header = {tabular.squash(name) for name in tabular.header_of(text, noun="issues")}
    if "summary" not in header or not header & {"issuekey", "issueid"}:
        raise UploadInvalid(
            "This CSV has no “Summary” and “Issue key” columns; in Jira, use "
            "Export → Export CSV (all fields)."
        )
    return text


def _sprints(issue: CsvIssue) -> list[str]:
    return [" ".join(name.split())[:100] for name in issue.cells.get("sprint", []) if name]


@dataclass
class Choices:
    """What the mapping step asks about, in the order the file first names each thing."""

    statuses: dict[str, str]  # status name -> guessed category
    sprints: dict[str, dict[str, Any]]  # sprint name -> {"open", "start", "end"} guessed
    assignees: dict[str, str]  # display name -> guessed member e-mail ("" when none)
    # Jira custom field columns holding values, with a sample; their guesses (by name) as
    # column header -> our field id as text.
    custom: list[FieldChoice] = field(default_factory=list)
    custom_guess: dict[str, str] = field(default_factory=dict)


def choices(workspace: Workspace, text: str) -> Choices:
    """The statuses, sprints and assignees of the file, each with a first guess."""
    issues = _parse(text)
    members = list(Membership.objects.for_workspace(workspace).select_related("user"))
    by_email = {m.user.email.lower(): m.user.email.lower() for m in members}
    by_name = {
        m.user.full_name.casefold(): m.user.email.lower() for m in members if m.user.full_name
    }
    project_keys = {_project_key(issue) for issue in issues}
    teams = Team.objects.for_workspace(workspace).filter(key__in=project_keys)
    known = {s.name: s for s in Sprint.objects.for_workspace(workspace).filter(team__in=teams)}
    statuses: dict[str, str] = {}
    sprints: dict[str, dict[str, Any]] = {}
    assignees: dict[str, str] = {}
    for issue in issues:
        status = issue.first("status")
        if status and status not in statuses:
            category = CATEGORY_NAMES.get(issue.first("status_category").casefold())
            statuses[status] = category or STATUS_GUESSES.get(
                status.casefold(), StateCategory.BACKLOG
            )
        names = _sprints(issue)
        for position, name in enumerate(names):
            guess = sprints.setdefault(name, {"open": False, "start": "", "end": ""})
            existing = known.get(name)
            if existing is not None:
                guess.update(
                    start=existing.start_date.isoformat(), end=existing.end_date.isoformat()
                )
            # An unfinished issue's last sprint is the one it is in now, so that one is open;
            # sprints it left behind, and those only finished issues name, are likely closed.
            if position == len(names) - 1 and statuses.get(status) != StateCategory.DONE:
                guess["open"] = True
        name = issue.first("assignee")
        if name and name not in assignees:
            email = issue.first("assignee_email").lower() or (name.lower() if "@" in name else "")
            assignees[name] = by_email.get(email) or by_name.get(name.casefold(), "")
    custom = _custom_choices(issues)
    return Choices(
        statuses=statuses,
        sprints=sprints,
        assignees=assignees,
        custom=custom,
        custom_guess=jira_custom.guess(custom, jira_custom.our_fields(workspace)),
    )


def _custom_choices(issues: list[CsvIssue]) -> list[FieldChoice]:
    """The Jira custom field columns that hold a value, in the file's order, with a sample."""
    samples: dict[str, str] = {}
    for issue in issues:
        for name, cells in issue.cells.items():
            if name.startswith(CUSTOM) and name not in samples:
                sample = ", ".join(cell for cell in cells if cell)
                if sample:
                    samples[name] = " ".join(sample.split())[:40]
    names = [name for name in issues[0].cells if name.startswith(CUSTOM)] if issues else []
    return [
        FieldChoice(name.removeprefix(CUSTOM), _jira_name(name), samples[name])
        for name in names
        if name in samples
    ]


def _jira_name(name: str) -> str:
    match = CUSTOM_HEADER.match(name.removeprefix(CUSTOM))
    return match.group(1) if match else name


def custom_values(issue: CsvIssue) -> dict[str, Any]:
    """Column header -> the cell (a list when the column repeats with several values)."""
    found: dict[str, Any] = {}
    for name, cells in issue.cells.items():
        if name.startswith(CUSTOM):
            filled = [cell for cell in cells if cell]
            found[name.removeprefix(CUSTOM)] = filled if len(filled) > 1 else "".join(filled)
    return found


def _project_key(issue: CsvIssue) -> str:
    key = issue.first("project_key").upper()
    if key:
        return key
    match = ISSUE_KEY.match(issue.first("key"))
    return match.group(1) if match else ""


def _people(issues: list[CsvIssue]) -> dict[str, str]:
    """Jira user id (Cloud account id, Server user name) -> display name, from the columns
    that pair them; comments and attachments name their author by id only."""
    names: dict[str, str] = {}
    for issue in issues:
        for name_column in ("assignee", "reporter", "creator"):
            user_id, name = issue.first(f"{name_column}_id"), issue.first(name_column)
            if user_id and name:
                names.setdefault(user_id, name)
    return names


def _comments(issue: CsvIssue, people: dict[str, str], emails: dict[str, str]) -> list[Any]:
    # Each "Comment" cell is "date;author id;body" (the body may hold more ";").
    comments = []
    for cell in issue.cells.get("comment", []):
        if not cell:
            continue
        parts = cell.split(";", 2)
        if len(parts) < 3:
            parts = ["", "", cell]
        created, author_id, body = parts
        name = people.get(author_id, author_id)
        comments.append(
            JiraComment(
                author_email=str(emails.get(name) or "").lower(),
                author_name=name,
                body=body,
                created=created,
            )
        )
    return comments


def _attachments(issue: CsvIssue) -> list[JiraAttachment]:
    # Each "Attachment" cell is "date;author id;file name;url".
    found = []
    for cell in issue.cells.get("attachment", []):
        parts = cell.split(";", 3) if cell else []
        if len(parts) == 4:
            found.append(
                JiraAttachment(
                    file_name=parts[2],
                    url=parts[3],
                    attachment_id=jira.attachment_id_of(parts[3]),
                )
            )
        elif cell:
            found.append(JiraAttachment(file_name=cell, url=""))
    return found


def _links(issue: CsvIssue) -> list[JiraLink]:
    links = []
    for name, keys in issue.cells.items():
        if not name.startswith("link:"):
            continue
        _, side, link_type = name.split(":", 2)
        folded = link_type.casefold()
        if folded in DEPENDENCY_LINK_TYPES:
            relation = "blocks" if side == "outward" else "blocked_by"
        else:
            relation = f"{side} {folded}"
        links += [JiraLink(relation, key.strip().upper()) for key in keys if key.strip()]
    return links


def to_issues(text: str, mapping: dict[str, Any]) -> list[jira.JiraIssue]:
    """The rows as the JSON importer's intermediate issues, with the mapping step's answers."""
    issues = _parse(text)
    people = _people(issues)
    statuses: dict[str, str] = mapping.get("statuses") or {}
    sprint_answers: dict[str, dict[str, Any]] = mapping.get("sprints") or {}
    assignees: dict[str, str] = mapping.get("assignees") or {}
    by_id = {issue.first("id"): issue for issue in issues if issue.first("id")}
    by_key = {issue.first("key"): issue for issue in issues if issue.first("key")}
    result = []
    for issue in issues:
        status = issue.first("status")
        assignee = issue.first("assignee")
        parent_key, parent_summary, parent_is_epic = _parent(issue, by_id, by_key)
        result.append(
            jira.JiraIssue(
                key=issue.first("key") or issue.first("id") or f"line {issue.number}",
                summary=" ".join(issue.first("summary").split())[:255],
                project_key=_project_key(issue),
                project_name=issue.first("project_name")[:100],
                category=statuses.get(status, StateCategory.BACKLOG),
                status_name=status,
                is_epic=issue.first("type").casefold() == "epic",
                points=issue.first("points") or None,
                description=issue.first("description"),
                sprints=[_sprint(name, sprint_answers.get(name)) for name in _sprints(issue)],
                parent_key=parent_key,
                parent_summary=parent_summary,
                parent_is_epic=parent_is_epic,
                assignee_email=str(assignees.get(assignee) or "").lower(),
                assignee_name=assignee,
                has_assignee=bool(assignee),
                is_subtask=issue.first("type").casefold().replace("-", "") == "subtask",
                priority=issue.first("priority"),
                labels=[label for label in issue.cells.get("labels", []) if label],
                comments=_comments(issue, people, assignees),
                links=_links(issue),
                attachments=_attachments(issue),
                issue_id=issue.first("id"),
                created=issue.first("created"),
                resolved=issue.first("resolved_at"),
            )
        )
        if status and status not in statuses:
            result[-1].notes.append(f"Status “{status}” was not mapped: it goes to the backlog.")
    return result


def _sprint(name: str, answer: dict[str, Any] | None) -> jira.JiraSprint:
    if not answer or not answer.get("open"):
        # A closed sprint is recreated (with its tasks' history) when its dates were given.
        answer = answer or {}
        start, end = str(answer.get("start") or ""), str(answer.get("end") or "")
        return jira.JiraSprint(name=name, state="closed", start=start, end=end)
    # The CSV does not say which open sprint is the active one: each is planned, not started.
    return jira.JiraSprint(
        name=name,
        state="future",
        start=str(answer.get("start") or ""),
        end=str(answer.get("end") or ""),
    )


def _parent(
    issue: CsvIssue, by_id: dict[str, CsvIssue], by_key: dict[str, CsvIssue]
) -> tuple[str, str, bool]:
    """(parent key, its summary, whether it is an epic). "Parent" holds the parent's issue id
    (or key); "Epic Link" an epic's key. A parent outside the file is taken for an epic unless
    this issue is a sub-task, whose parent is always a standard issue."""
    epic_link = issue.first("epic_link")
    reference = issue.first("parent") or epic_link
    if not reference:
        return "", "", False
    parent = by_id.get(reference) or by_key.get(reference)
    if parent is not None:
        summary = " ".join(parent.first("summary").split())[:200]
        return parent.first("key") or reference, summary, parent.first("type").casefold() == "epic"
    is_subtask = issue.first("type").casefold().replace("-", "") == "subtask"
    summary = " ".join(issue.first("parent_summary").split())[:200]
    return reference, summary, bool(epic_link) or not is_subtask


def preview(job: ImportJob) -> jira.JiraPreview:
    """The CSV's issues checked exactly as the JSON importer checks its own."""
    mapping = job.mapping or {}
    issues = to_issues(job.source, mapping)
    checked = jira.check(job.workspace, issues, warnings=[], projects=mapping.get("projects") or {})
    pairs = jira_custom.mapped_fields(mapping.get("custom") or {}, job.workspace)
    if pairs:
        rows = [_split_cells(custom_values(row), pairs) for row in _parse(job.source)]
        jira_custom.apply_values(checked, rows, pairs, job.workspace)
    jira_attachments.plan(checked, issues, job)
    return checked


def _split_cells(values: dict[str, Any], pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # One cell of a multi select may hold "EU, US" (as our own CSV writes it).
    kinds = dict(pairs)
    return {
        header: custom_cells.import_value(kinds[header], value)
        if isinstance(value, str) and header in kinds
        else value
        for header, value in values.items()
    }


def run(job_id: int) -> None:
    execute(job_id, preview=preview, write=jira.write)


def guessed_mapping(choices: Choices) -> dict[str, Any]:
    """The first guesses, kept on the job until the mapping step is answered."""
    return {
        "statuses": dict(choices.statuses),
        "sprints": {name: dict(guess) for name, guess in choices.sprints.items()},
        "assignees": dict(choices.assignees),
        "custom": {header: int(ours) for header, ours in choices.custom_guess.items()},
    }


def projects_of(text: str) -> dict[str, str]:
    """Project key -> project name, in the order the file first names each."""
    projects: dict[str, str] = {}
    for issue in _parse(text):
        key = _project_key(issue)
        if key:
            projects.setdefault(key, issue.first("project_name"))
    return projects
