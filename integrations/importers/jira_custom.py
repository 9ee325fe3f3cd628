"""Jira custom fields onto this workspace's custom fields (search JSON imports).

The mapping step lists every Jira custom field of the file that holds values and no detected
role (story points, sprint, epic link), with a sample, and asks which of our fields it goes to;
a field of the same name is the first guess. The answer is `ImportJob.mapping["custom"]`:
Jira field id -> our field id. The preview reads each issue's value the way Jira shapes it
(an option `{"value": …}`, a user `{"emailAddress": …}`, lists of either, numbers, text, dates)
and checks it as the task page would, so a value that does not fit names its field there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alignment.errors import DomainError
from alignment.models import Workspace
from customfields import cells as custom_cells
from customfields.models import CustomField, FieldKind
from customfields.values import clean_value
from integrations.importers import jira_fields
from integrations.importers.jira_fields import FieldChoice
from integrations.importers.jira_preview import JiraPreview


def our_fields(workspace: Workspace) -> list[CustomField]:
    return custom_cells.export_fields(None, workspace.pk)


def jira_choices(payload: dict[str, Any]) -> list[FieldChoice]:
    """Jira custom fields holding values in the file that no role claims, in id order."""
    detection = jira_fields.detect(payload)
    claimed = {c.field_id for found in detection.candidates.values() for c in found}
    names = {str(k): str(v) for k, v in (payload.get("names") or {}).items()}
    samples: dict[str, Any] = {}
    for raw in payload.get("issues") or []:
        for field_id, value in (raw.get("fields") or {}).items():
            if (
                field_id.startswith("customfield_")
                and field_id not in claimed
                and value not in (None, "", [], {})
            ):
                samples.setdefault(field_id, value)
    return [
        FieldChoice(field_id, names.get(field_id, ""), _sample(samples[field_id]))
        for field_id in sorted(samples, key=lambda f: (len(f), f))
    ]


def _sample(value: Any) -> str:
    shown = jira_value(value)
    text = ", ".join(map(str, shown)) if isinstance(shown, list) else str(shown)
    return " ".join(text.split())[:40]


def guess(choices: list[FieldChoice], fields: list[CustomField]) -> dict[str, str]:
    """Jira field id -> our field id (as text) where the names match, case-insensitively."""
    by_name = {f.name.casefold(): str(f.pk) for f in fields}
    return {c.field_id: by_name[c.name.casefold()] for c in choices if c.name.casefold() in by_name}


def jira_value(value: Any) -> Any:
    """A Jira value as our services take it: options by label, people by e-mail."""
    if isinstance(value, list):
        return [jira_value(item) for item in value if item not in (None, "")]
    if isinstance(value, dict):
        for key in ("value", "emailAddress", "name", "key"):
            if value.get(key):
                return str(value[key])
        return ""
    return value


def apply(
    checked: JiraPreview,
    payload: dict[str, Any],
    mapping: Mapping[str, Any],
    workspace: Workspace,
) -> None:
    """Read and check each issue's mapped custom values into `issue.custom_values`."""
    pairs = mapped_fields(mapping, workspace)
    if not pairs:
        return
    raw_issues = payload.get("issues") or []
    apply_values(checked, [raw.get("fields") or {} for raw in raw_issues], pairs, workspace)


def mapped_fields(
    mapping: Mapping[str, Any], workspace: Workspace
) -> list[tuple[str, CustomField]]:
    """(Jira field, our field) for each answer of the mapping step still naming an active
    field of ours."""
    if not mapping:
        return []
    fields = {str(f.pk): f for f in our_fields(workspace)}
    return [(jira, fields[str(ours)]) for jira, ours in mapping.items() if str(ours) in fields]


def apply_values(
    checked: JiraPreview,
    values_of_issues: Sequence[Mapping[str, Any]],
    pairs: list[tuple[str, CustomField]],
    workspace: Workspace,
) -> None:
    """Check each issue's Jira values (Jira field -> value, in `checked.issues`' order) of the
    mapped fields into `issue.custom_values`; a value that does not fit names both fields."""
    for issue, jira_values in zip(checked.issues, values_of_issues, strict=False):
        if issue.is_skipped or issue.is_epic:
            continue
        for jira_id, field in pairs:
            value = jira_value(jira_values.get(jira_id))
            if value in (None, "", []):
                continue
            if field.kind == FieldKind.SELECT and isinstance(value, list):
                value = value[0]
            if field.kind not in (FieldKind.MULTI_SELECT,) and isinstance(value, list):
                value = ", ".join(map(str, value))
            try:
                clean_value(field, value, options=field.options.all(), workspace_id=workspace.pk)
            except DomainError as error:
                issue.errors.append(f"Jira {jira_id}: {error.text}")
            else:
                issue.custom_values[field.pk] = value
