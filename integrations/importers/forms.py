"""The mapping step's forms: which column holds which field (CSV files), and for Jira's CSV
export which category each status is, whether each sprint is open (with its dates) and who
each assignee is. Forms only shape input; the importers check it against the workspace."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django import forms

from alignment.models import Membership, Team, Workspace
from integrations.importers import jira_custom
from integrations.importers.jira_check import default_team_key
from integrations.importers.jira_csv import Choices
from integrations.importers.jira_fields import ROLES, FieldChoice, FieldDetection
from tasks.models import StateCategory

FIRST_FILLED = "*"  # read every candidate field, the first filled one wins


def column_mapping_form(
    header: list[str],
    labels: Mapping[str, str],
    required: tuple[str, ...],
    data: Any = None,
    initial: Any = None,
) -> forms.Form:
    choices = [("", "— not in the file —")] + [(name, name) for name in header if name]
    form = forms.Form(data, initial=initial)
    for name, label in labels.items():
        form.fields[name] = forms.ChoiceField(
            label=label, choices=choices, required=name in required
        )
    return form


def add_project_fields(
    form: forms.Form, projects: Mapping[str, str], workspace: Workspace, saved: Mapping[str, str]
) -> None:
    """One field per Jira project: the team it goes to. A project keeps its key (and its
    issues their keys) when it goes to the team with that key, new or existing; another team
    gives its issues that team's numbers, and their Jira keys become aliases."""
    teams = list(Team.objects.for_workspace(workspace).order_by("key"))
    existing = {team.key for team in teams}
    for i, (key, name) in enumerate(projects.items()):
        default = default_team_key(key, existing)
        choices = [(team.key, f"{team.key} · {team.name}") for team in teams]
        if default and default not in existing:
            choices.insert(0, (default, f"{default} · a new team “{name or key}”"))
        form.fields[f"project_{i}"] = forms.ChoiceField(
            label=f"Jira project {key} goes to", choices=choices, required=False
        )
        form.initial[f"project_{i}"] = saved.get(key) or default


def project_mapping(form: forms.Form, projects: Mapping[str, str]) -> dict[str, str]:
    """Project key -> team key; a blank answer keeps the default (its own key)."""
    answers = {key: form.cleaned_data.get(f"project_{i}") or "" for i, key in enumerate(projects)}
    return {key: team for key, team in answers.items() if team}


def add_custom_fields(
    form: forms.Form, workspace: Workspace, choices: list[FieldChoice], saved: Any
) -> list[FieldChoice]:
    """One field per Jira custom field of the file: which of our fields it goes to (a field
    of the same name is the first guess). Returns the choices asked about."""
    ours = jira_custom.our_fields(workspace)
    asked = choices if ours else []
    answers = saved if isinstance(saved, dict) else jira_custom.guess(choices, ours)
    options = [("", "— not imported —")] + [(str(f.pk), f.name) for f in ours]
    for i, choice in enumerate(asked):
        form.fields[f"custom_{i}"] = forms.ChoiceField(
            label=f"Jira {choice.label} goes to our field", choices=options, required=False
        )
        form.initial[f"custom_{i}"] = str(answers.get(choice.field_id, ""))
    return asked


def custom_mapping(form: forms.Form, asked: list[FieldChoice]) -> dict[str, int]:
    """The answers of `add_custom_fields`: Jira field -> our field id."""
    return {
        choice.field_id: int(answer)
        for i, choice in enumerate(asked)
        if (answer := form.cleaned_data.get(f"custom_{i}") or "").isdigit()
    }


class JiraMappingForm(forms.Form):
    """Jira's search JSON: which custom field holds each role (when the export names them
    ambiguously, or not at all) and which team each project goes to."""

    def __init__(
        self,
        detection: FieldDetection,
        projects: Mapping[str, str],
        workspace: Workspace,
        saved: Mapping[str, Any],
        data: Any = None,
        custom_choices: list[FieldChoice] | None = None,
    ) -> None:
        super().__init__(data)
        self.detection, self.projects = detection, projects
        saved_fields = saved.get("fields") or {}
        for role, label in ROLES.items():
            candidates = detection.candidates.get(role, [])
            if not candidates:
                continue
            ids = [c.field_id for c in candidates]
            choices = [(c.field_id, c.label) for c in candidates]
            if len(ids) > 1:
                choices.insert(0, (FIRST_FILLED, f"the first filled of {', '.join(ids)}"))
            choices.append(("", "— not imported —"))
            self.fields[f"field_{role}"] = forms.ChoiceField(
                label=f"{label} are read from", choices=choices, required=False
            )
            chosen = saved_fields.get(role, ids)
            self.initial[f"field_{role}"] = (
                FIRST_FILLED if len(chosen) > 1 else chosen[0] if chosen else ""
            )
        add_project_fields(self, projects, workspace, saved.get("projects") or {})
        self.custom_choices = add_custom_fields(
            self, workspace, custom_choices or [], saved.get("custom")
        )

    def mapping(self) -> dict[str, Any]:
        """The answers, as `jira.field_mapping` and `jira.preview` read them."""
        fields: dict[str, list[str]] = {}
        for role in ROLES:
            if f"field_{role}" not in self.fields:
                continue
            answer = self.cleaned_data.get(f"field_{role}") or ""
            candidates = [c.field_id for c in self.detection.candidates.get(role, [])]
            fields[role] = candidates if answer == FIRST_FILLED else [answer] if answer else []
        return {
            "fields": fields,
            "projects": project_mapping(self, self.projects),
            "custom": custom_mapping(self, self.custom_choices),
        }


class JiraCsvMappingForm(forms.Form):
    """One field per status, three per sprint (open, start, end) and one per assignee. Field
    names use positions, since Jira names may hold any character; labels show the names."""

    def __init__(
        self,
        choices: Choices,
        workspace: Workspace,
        saved: Mapping[str, Any],
        data: Any = None,
        projects: Mapping[str, str] | None = None,
    ) -> None:
        """`choices` lists what to ask, with first guesses; `saved` is the job's mapping so far."""
        self.choices = choices
        self.projects = projects or {}
        statuses = {**choices.statuses, **(saved.get("statuses") or {})}
        sprints = {**choices.sprints, **(saved.get("sprints") or {})}
        assignees = {**choices.assignees, **(saved.get("assignees") or {})}
        initial: dict[str, Any] = {}
        for i, status in enumerate(choices.statuses):
            initial[f"status_{i}"] = statuses[status]
        for i, name in enumerate(choices.sprints):
            initial[f"sprint_{i}_open"] = sprints[name].get("open", False)
            initial[f"sprint_{i}_start"] = sprints[name].get("start", "")
            initial[f"sprint_{i}_end"] = sprints[name].get("end", "")
        for i, name in enumerate(choices.assignees):
            initial[f"assignee_{i}"] = assignees[name]
        super().__init__(data, initial=initial)
        for i, status in enumerate(choices.statuses):
            self.fields[f"status_{i}"] = forms.ChoiceField(
                label=f"Status “{status}” becomes", choices=StateCategory.choices
            )
        for i, name in enumerate(choices.sprints):
            self.fields[f"sprint_{i}_open"] = forms.BooleanField(
                label=f"Sprint “{name}” is open (plan it)", required=False
            )
            self.fields[f"sprint_{i}_start"] = forms.DateField(
                label=f"“{name}” starts",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"sprint_{i}_end"] = forms.DateField(
                label=f"“{name}” ends",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
        members = Membership.objects.for_workspace(workspace).select_related("user")
        people = [("", "— leave unassigned —")] + sorted(
            (m.user.email.lower(), f"{m.user.display_name} <{m.user.email}>") for m in members
        )
        for i, name in enumerate(choices.assignees):
            self.fields[f"assignee_{i}"] = forms.ChoiceField(
                label=f"Assignee “{name}” is", choices=people, required=False
            )
        add_project_fields(self, self.projects, workspace, saved.get("projects") or {})
        self.custom_choices = add_custom_fields(
            self, workspace, choices.custom, saved.get("custom")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for i, name in enumerate(self.choices.sprints):
            start: date | None = cleaned.get(f"sprint_{i}_start")
            end: date | None = cleaned.get(f"sprint_{i}_end")
            if not cleaned.get(f"sprint_{i}_open"):
                if start and end and end < start:
                    self.add_error(f"sprint_{i}_end", f"“{name}” cannot end before it starts.")
                continue
            if start is None or end is None:
                self.add_error(
                    f"sprint_{i}_start",
                    f"Give the dates of “{name}” (Jira's CSV has none), or untick “open”.",
                )
            elif end < start:
                self.add_error(f"sprint_{i}_end", f"“{name}” cannot end before it starts.")
        return cleaned

    def mapping(self) -> dict[str, Any]:
        """The answers, as `jira_csv.to_issues` reads them from `ImportJob.mapping`."""
        data = self.cleaned_data
        sprints = {}
        for i, name in enumerate(self.choices.sprints):
            is_open = bool(data.get(f"sprint_{i}_open"))
            start, end = data.get(f"sprint_{i}_start"), data.get(f"sprint_{i}_end")
            # A closed sprint with dates is recreated closed, keeping its tasks' history.
            sprints[name] = {
                "open": is_open,
                "start": start.isoformat() if start else "",
                "end": end.isoformat() if end else "",
            }
        return {
            "statuses": {s: data[f"status_{i}"] for i, s in enumerate(self.choices.statuses)},
            "sprints": sprints,
            "assignees": {
                a: data.get(f"assignee_{i}") or "" for i, a in enumerate(self.choices.assignees)
            },
            "projects": project_mapping(self, self.projects),
            "custom": custom_mapping(self, self.custom_choices),
        }
