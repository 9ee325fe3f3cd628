"""The mapping step's forms: which column holds which field (CSV files), and for Jira's CSV
export which category each status is, whether each sprint is open (with its dates) and who
each assignee is. Forms only shape input; the importers check it against the workspace."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django import forms

from alignment.models import Membership, Workspace
from integrations.importers.jira_csv import Choices
from tasks.models import StateCategory


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


class JiraCsvMappingForm(forms.Form):
    """One field per status, three per sprint (open, start, end) and one per assignee. Field
    names use positions, since Jira names may hold any character; labels show the names."""

    def __init__(
        self, choices: Choices, workspace: Workspace, saved: Mapping[str, Any], data: Any = None
    ) -> None:
        """`choices` lists what to ask, with first guesses; `saved` is the job's mapping so far."""
        self.choices = choices
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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for i, name in enumerate(self.choices.sprints):
            if not cleaned.get(f"sprint_{i}_open"):
                continue
            start: date | None = cleaned.get(f"sprint_{i}_start")
            end: date | None = cleaned.get(f"sprint_{i}_end")
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
            sprints[name] = {
                "open": is_open,
                "start": start.isoformat() if is_open and start else "",
                "end": end.isoformat() if is_open and end else "",
            }
        return {
            "statuses": {s: data[f"status_{i}"] for i, s in enumerate(self.choices.statuses)},
            "sprints": sprints,
            "assignees": {
                a: data.get(f"assignee_{i}") or "" for i, a in enumerate(self.choices.assignees)
            },
        }
