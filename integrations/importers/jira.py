"""Issues from Jira's search API (`/rest/api/2|3/search` or `/search/jql` JSON) into tasks.

Both Jira formats read into the same intermediate `JiraIssue` (`jira_model`): this module
reads the JSON of Jira Cloud and Server/Data Center, `jira_csv` reads the CSV export;
`jira_check.check` previews them against a workspace and `jira_write.write` commits them, in
one transaction. Custom fields (story points, sprints, epic link) are found by name
(`jira_fields`), and the mapping step can change what was detected.
"""

from __future__ import annotations

import json
import re
from typing import Any

from alignment.models import Team
from integrations.importers import jira_attachments, jira_custom, jira_fields
from integrations.importers.base import execute
from integrations.importers.errors import UploadInvalid
from integrations.importers.jira_check import check, default_team_key
from integrations.importers.jira_model import (
    JiraAttachment,
    JiraComment,
    JiraIssue,
    JiraLink,
    JiraSprint,
    JiraStatusChange,
)
from integrations.importers.jira_preview import (
    STATUS_CATEGORIES,
    TEAM_KEY,
    IssuePreview,
    JiraPreview,
    PlannedSprint,
)
from integrations.importers.jira_write import ROADMAP_NAME, write
from integrations.models import ImportJob
from tasks import services as task_services
from tasks.models import StateCategory

__all__ = [
    "ROADMAP_NAME",
    "TEAM_KEY",
    "IssuePreview",
    "JiraIssue",
    "JiraPreview",
    "JiraSprint",
    "PlannedSprint",
    "check",
    "task_services",
    "write",
]


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


def _is_epic(fields: dict[str, Any]) -> bool:
    issue_type = fields.get("issuetype") or {}
    return str(issue_type.get("name") or "").lower() == "epic"


def link_relation(phrase: str) -> str:
    """Jira's phrase for "this issue <phrase> the other" as a dependency, when it is one.

    "blocks" and "is depended by"/"is required by" make this issue the blocking one; "is
    blocked by", "depends on" and "requires" the blocked one; other phrases are no dependency."""
    text = " ".join(phrase.casefold().split())
    if "blocked by" in text or "depends on" in text or text.startswith("requires"):
        return "blocked_by"
    if "blocks" in text or "depended" in text or "required by" in text:
        return "blocks"
    return text or "linked to"


def _links(fields: dict[str, Any]) -> list[JiraLink]:
    links = []
    for raw in fields.get("issuelinks") or []:
        if not isinstance(raw, dict):
            continue
        link_type = raw.get("type") or {}
        for side, phrase_key in (("outwardIssue", "outward"), ("inwardIssue", "inward")):
            other = raw.get(side)
            if isinstance(other, dict) and other.get("key"):
                phrase = str(link_type.get(phrase_key) or link_type.get("name") or "")
                links.append(JiraLink(link_relation(phrase), str(other["key"]).upper()))
    return links


def _comments(fields: dict[str, Any]) -> list[JiraComment]:
    # `comment` is {"comments": [...], "total": n} in search results; a bare list in some docs.
    raw = fields.get("comment") or []
    items = raw.get("comments") or [] if isinstance(raw, dict) else raw
    comments = []
    for item in items:
        if not isinstance(item, dict):
            continue
        author = item.get("author") or {}
        comments.append(
            JiraComment(
                author_email=str(author.get("emailAddress") or "").lower(),
                author_name=str(author.get("displayName") or author.get("name") or ""),
                body=adf_text(item.get("body")),
                created=str(item.get("created") or ""),
            )
        )
    return comments


def _attachments(fields: dict[str, Any]) -> list[JiraAttachment]:
    found = []
    for item in fields.get("attachment") or []:
        if not isinstance(item, dict):
            continue
        url = str(item.get("content") or "")
        found.append(
            JiraAttachment(
                file_name=str(item.get("filename") or "?"),
                url=url,
                attachment_id=str(item.get("id") or attachment_id_of(url)),
            )
        )
    return found


def attachment_id_of(url: str) -> str:
    """The id in Jira's `…/secure/attachment/<id>/<name>` (Server) or `…/attachment/content/<id>`
    (Cloud) URLs; "" when the URL names none."""
    match = re.search(r"/attachment/(?:content/)?(\d+)(?:/|$)", url)
    return match.group(1) if match else ""


def _status_changes(raw: dict[str, Any]) -> list[JiraStatusChange]:
    """The status items of the issue's changelog (`expand=changelog`), oldest first."""
    changelog = raw["changelog"] if isinstance(raw.get("changelog"), dict) else {}
    changes = []
    for history in changelog.get("histories") or []:
        if not isinstance(history, dict):
            continue
        for item in history.get("items") or []:
            if isinstance(item, dict) and str(item.get("field") or "").lower() == "status":
                changes.append(
                    JiraStatusChange(
                        at=str(history.get("created") or ""),
                        from_name=str(item.get("fromString") or ""),
                        to_name=str(item.get("toString") or ""),
                    )
                )
    return sorted(changes, key=lambda c: c.at)  # Jira lists newest first on some versions


def _epic_link(fields: dict[str, Any], mapped: list[str]) -> tuple[str, str]:
    """(epic key, epic title) from the mapped Epic Link field or the Agile API's `epic`."""
    epic = fields.get("epic")
    if isinstance(epic, dict) and (epic.get("key") or epic.get("id")):
        # The Agile API's documented example names the epic by id only.
        key = str(epic.get("key") or f"epic {epic['id']}")
        return key, _line(epic.get("summary") or epic.get("name"), 200)
    value = jira_fields.value_of(fields, mapped)
    return (str(value).strip().upper(), "") if isinstance(value, str) else ("", "")


def issues_from_search(
    payload: dict[str, Any], mapping: dict[str, list[str]] | None = None
) -> list[JiraIssue]:
    """The issues of a search response, read into the intermediate shape. `mapping`: role ->
    custom field ids (jira_fields); detected from the file when not given."""
    if mapping is None:
        mapping = jira_fields.detect(payload).default_mapping()
    return [_issue_from(raw, mapping) for raw in payload["issues"]]


def _issue_from(raw: dict[str, Any], mapping: dict[str, list[str]]) -> JiraIssue:
    """One issue of a search response: its own fields here, each group read by a helper."""
    fields = raw.get("fields") or {}
    status = fields.get("status") or {}
    category_key = str((status.get("statusCategory") or {}).get("key") or "")
    issue = JiraIssue(
        key=str(raw.get("key") or raw.get("id") or "?").upper(),
        summary=_line(fields.get("summary"), 255),
        category=STATUS_CATEGORIES.get(category_key, StateCategory.BACKLOG),
        status_name=str(status.get("name") or ""),
        is_epic=_is_epic(fields),
        points=jira_fields.value_of(fields, mapping.get("points", [])),
        description=adf_text(fields.get("description")),
        sprints=_sprints(fields, mapping),
        comments=_comments(fields),
        links=_links(fields),
        attachments=_attachments(fields),
        issue_id=str(raw.get("id") or ""),
        created=str(fields.get("created") or ""),
        resolved=str(fields.get("resolutiondate") or ""),
        status_changes=_status_changes(raw),
        **_project_of(fields),
        **_parent_of(fields, mapping),
        **_assignee_of(fields),
        **_tags_of(fields),
    )
    if status and category_key not in STATUS_CATEGORIES:
        issue.notes.append(
            f"Status “{issue.status_name or '?'}” has no known category: it goes to the backlog."
        )
    return issue


def _sprints(fields: dict[str, Any], mapping: dict[str, list[str]]) -> list[Any]:
    """The mapped sprint field's sprints, then those the Agile API names itself (the current
    one and those it has left)."""
    sprint_value = jira_fields.value_of(fields, mapping.get("sprint", []))
    agile = [*(fields.get("closedSprints") or []), fields.get("sprint")]
    return jira_fields.sprints_of(sprint_value) + jira_fields.sprints_of([s for s in agile if s])


def _project_of(fields: dict[str, Any]) -> dict[str, Any]:
    project = fields.get("project") or {}
    return {
        "project_key": str(project.get("key") or "").upper(),
        "project_name": _line(project.get("name"), 100),
    }


def _parent_of(fields: dict[str, Any], mapping: dict[str, list[str]]) -> dict[str, Any]:
    """The parent issue, else the epic it is linked to (Epic Link field or the Agile API)."""
    parent = fields.get("parent") or {}
    parent_fields = (parent.get("fields") or {}) if isinstance(parent, dict) else {}
    found = {
        "is_subtask": bool((fields.get("issuetype") or {}).get("subtask")),
        "parent_key": str(parent.get("key") or "") if parent_fields else "",
        "parent_summary": _line(parent_fields.get("summary"), 200),
        "parent_is_epic": _is_epic(parent_fields),
    }
    epic_key, epic_title = _epic_link(fields, mapping.get("epic_link", []))
    if epic_key and not found["parent_key"]:
        found.update(parent_key=epic_key, parent_summary=epic_title, parent_is_epic=True)
    return found


def _assignee_of(fields: dict[str, Any]) -> dict[str, Any]:
    assignee = fields.get("assignee") or {}
    return {
        "assignee_email": str(assignee.get("emailAddress") or "").lower(),
        "assignee_name": str(assignee.get("displayName") or ""),
        "has_assignee": bool(assignee),
    }


def _tags_of(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "priority": str((fields.get("priority") or {}).get("name") or ""),
        "labels": [str(label) for label in fields.get("labels") or [] if label],
    }


def field_mapping(job: ImportJob, payload: dict[str, Any]) -> dict[str, list[str]]:
    """The mapping step's answer for the custom fields, else what the file lets us detect."""
    saved = (job.mapping or {}).get("fields")
    return saved if isinstance(saved, dict) else jira_fields.detect(payload).default_mapping()


def needs_mapping(job: ImportJob) -> bool:
    """Whether the mapping step must be seen first: a custom field role is ambiguous, the
    workspace has custom fields a Jira field may go to, or a project has no team to go to by
    default (its key cannot be a team key)."""
    payload = json.loads(job.source)
    if jira_fields.detect(payload).ambiguous:
        return True
    # Jira custom fields could go to ours: the person chooses (guesses by name are shown).
    if jira_custom.our_fields(job.workspace) and jira_custom.jira_choices(payload):
        return True
    teams = set(Team.objects.for_workspace(job.workspace).values_list("key", flat=True))
    return any(not default_team_key(key, teams) for key in projects_of(payload))


def projects_of(payload: dict[str, Any]) -> dict[str, str]:
    """Project key -> project name, in the order the file first names each."""
    projects: dict[str, str] = {}
    for raw in payload["issues"]:
        project = (raw.get("fields") or {}).get("project") or {}
        if project.get("key"):
            projects.setdefault(str(project["key"]).upper(), _line(project.get("name"), 100))
    return projects


def fields_in_use(job: ImportJob) -> list[tuple[str, list[jira_fields.FieldChoice]]]:
    """(role label, the fields it is read from) for the preview; empty roles left out."""
    payload = json.loads(job.source)
    detection = jira_fields.detect(payload)
    mapping = field_mapping(job, payload)
    shown = []
    for role, label in jira_fields.ROLES.items():
        by_id = {c.field_id: c for c in detection.candidates.get(role, [])}
        chosen = [by_id[f] for f in mapping.get(role, []) if f in by_id]
        if chosen:
            shown.append((label, chosen))
    return shown


def preview(job: ImportJob) -> JiraPreview:
    """Every issue of the search JSON checked against this workspace; nothing is written."""
    payload = json.loads(job.source)
    warnings = [str(w) for w in payload.get("warningMessages") or []]
    issues = issues_from_search(payload, field_mapping(job, payload))
    projects = (job.mapping or {}).get("projects") or {}
    checked = check(job.workspace, issues, warnings, projects=projects)
    jira_custom.apply(checked, payload, (job.mapping or {}).get("custom") or {}, job.workspace)
    jira_attachments.plan(checked, issues, job)
    if "fields" not in (job.mapping or {}):
        for role in jira_fields.detect(payload).ambiguous:
            checked.notes.append(
                f"More than one field may hold the {jira_fields.ROLES[role].lower()}, with "
                "different values: the first filled one is read. Choose one in the mapping."
            )
    return checked


def run(job_id: int) -> None:
    """Create the missing teams and every issue's task in one transaction, or nothing."""
    execute(job_id, preview=preview, write=write)
