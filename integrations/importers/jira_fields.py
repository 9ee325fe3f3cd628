"""Which Jira custom field holds story points, sprints and the epic link, found by name.

Custom field ids differ per Jira site: Cloud usually keeps story points in `customfield_10016`
("Story point estimate") or `customfield_10028` ("Story Points") and sprints in
`customfield_10020`; Server and Data Center number them in install order ("Story Points" may be
`customfield_10002`, "Epic Link" `customfield_10005`). A search asked with `expand=names,schema`
names every field (`names`) and its type (`schema[...]["custom"]`), so the roles are detected
from those first, then from well-known Cloud ids, then from the shape of the values (sprint
objects or Server's legacy `…sprint.Sprint@…[id=…,state=…]` strings). When two fields could hold
a role and an issue has different values in them, detection is ambiguous and the mapping step
asks which one to read. The answer is kept in `ImportJob.mapping["fields"]`: role -> field ids,
read in order, the first filled one wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from integrations.importers.jira_model import JiraSprint

ROLES = {"points": "Story points", "sprint": "Sprint", "epic_link": "Epic link"}
# Jira's custom field types (schema[...]["custom"]) for each role.
CUSTOM_TYPES = {
    "com.pyxis.greenhopper.jira:jsw-story-points": "points",
    "com.pyxis.greenhopper.jira:gh-sprint": "sprint",
    "com.pyxis.greenhopper.jira:gh-epic-link": "epic_link",
}
# Field names (case-insensitive) for each role, Cloud's and Server's.
ROLE_NAMES = {
    "story points": "points",
    "story point estimate": "points",
    "sprint": "sprint",
    "epic link": "epic_link",
}
# When the export names nothing: Jira Cloud's usual ids.
CLOUD_IDS = {
    "customfield_10016": "points",
    "customfield_10028": "points",
    "customfield_10020": "sprint",
}
LEGACY_SPRINT = re.compile(r"com\.atlassian\.greenhopper\.service\.sprint\.Sprint@\w*\[(.*)\]$")
ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")


@dataclass(frozen=True)
class FieldChoice:
    """A field that may hold a role, as the mapping step shows it."""

    field_id: str
    name: str  # Jira's name for it; "" when the export does not say
    sample: str  # one value from the file, for the person choosing

    @property
    def label(self) -> str:
        named = f"{self.field_id} “{self.name}”" if self.name else self.field_id
        return f"{named}, e.g. {self.sample}" if self.sample else named


@dataclass
class FieldDetection:
    candidates: dict[str, list[FieldChoice]] = field(default_factory=dict)
    ambiguous: list[str] = field(default_factory=list)  # roles whose candidates disagree

    def default_mapping(self) -> dict[str, list[str]]:
        return {role: [c.field_id for c in found] for role, found in self.candidates.items()}


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _sample(value: Any) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("value") or value.get("key") or ""
    text = str(value)
    match = LEGACY_SPRINT.search(text)
    if match:
        text = legacy_sprint(text).name
    return " ".join(text.split())[:40]


def _sprint_shaped(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(
        (isinstance(i, dict) and "state" in i and "name" in i)
        or (isinstance(i, str) and LEGACY_SPRINT.search(i))
        for i in items
    )


def _role_of(field_id: str, name: str, custom: str, values: list[Any]) -> str | None:
    if custom in CUSTOM_TYPES:
        return CUSTOM_TYPES[custom]
    if name:
        return ROLE_NAMES.get(name.casefold())
    if field_id in CLOUD_IDS:
        return CLOUD_IDS[field_id]
    if values and all(_sprint_shaped(v) for v in values):
        return "sprint"
    if values and all(isinstance(v, str) and ISSUE_KEY.match(v) for v in values):
        return "epic_link"
    return None


def detect(payload: dict[str, Any]) -> FieldDetection:
    """The custom fields of a search response that may hold each role, and which disagree."""
    names = {str(k): str(v) for k, v in (payload.get("names") or {}).items()}
    schema = payload.get("schema") or {}
    issues = [issue.get("fields") or {} for issue in payload.get("issues") or []]
    values = _custom_values(issues)
    detection = FieldDetection()
    for field_id in sorted(values, key=lambda f: (len(f), f)):
        custom = str((schema.get(field_id) or {}).get("custom") or "")
        role = _role_of(field_id, names.get(field_id, ""), custom, values[field_id])
        if role is not None:
            choice = FieldChoice(field_id, names.get(field_id, ""), _sample(values[field_id][0]))
            detection.candidates.setdefault(role, []).append(choice)
    detection.ambiguous = [
        role for role, found in detection.candidates.items() if _disagree(found, issues)
    ]
    return detection


def _custom_values(issues: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Custom field id -> its filled values over the issues, in order."""
    values: dict[str, list[Any]] = {}
    for fields in issues:
        for field_id, value in fields.items():
            if field_id.startswith("customfield_") and _filled(value):
                values.setdefault(field_id, []).append(value)
    return values


def _disagree(found: list[FieldChoice], issues: list[dict[str, Any]]) -> bool:
    """Whether several fields hold the role and some issue has different values in them."""
    ids = [c.field_id for c in found]
    return len(ids) > 1 and any(
        len({repr(fields[f]) for f in ids if _filled(fields.get(f))}) > 1 for fields in issues
    )


def value_of(fields: dict[str, Any], field_ids: list[str]) -> Any:
    """The first filled value of the mapped fields, or None."""
    return next((fields[f] for f in field_ids if _filled(fields.get(f))), None)


def legacy_sprint(text: str) -> JiraSprint:
    """Server's `…sprint.Sprint@1a2b[id=1,rapidViewId=1,state=ACTIVE,name=Sprint 1,…]`."""
    match = LEGACY_SPRINT.search(text)
    body = match.group(1) if match else ""
    parts: dict[str, str] = {}
    # Values may hold commas (names, goals); a new part starts only at ",word=".
    for chunk in re.split(r",(?=[A-Za-z]+=)", body):
        name, _, value = chunk.partition("=")
        parts[name.strip()] = "" if value == "<null>" else value
    return JiraSprint(
        name=" ".join(parts.get("name", "").split())[:100],
        state=parts.get("state", "").lower(),
        start=parts.get("startDate", "")[:10],
        end=parts.get("endDate", "")[:10],
        goal=parts.get("goal", ""),
        complete=parts.get("completeDate", ""),
    )


def sprints_of(value: Any) -> list[JiraSprint]:
    """Sprint objects (Cloud, Agile API) or legacy strings (Server), oldest first."""
    items = value if isinstance(value, list) else [value] if _filled(value) else []
    sprints: list[JiraSprint] = []
    for item in items:
        if isinstance(item, str) and LEGACY_SPRINT.search(item):
            sprints.append(legacy_sprint(item))
        elif isinstance(item, dict) and item.get("name"):
            sprints.append(
                JiraSprint(
                    name=" ".join(str(item.get("name")).split())[:100],
                    state=str(item.get("state") or "").lower(),
                    start=str(item.get("startDate") or "")[:10],
                    end=str(item.get("endDate") or "")[:10],
                    goal=str(item.get("goal") or ""),
                    complete=str(item.get("completeDate") or ""),
                )
            )
    return sprints
