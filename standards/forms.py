"""Input shapes of the standards pages (no writes here)."""

from __future__ import annotations

from typing import Any

from django import forms

from alignment.models import Team
from standards.checks import FIELDS, KEY_RESULT, REGISTRY, TASK
from standards.models import GATE_CATEGORIES, Mode, Subject
from tasks.models import StateCategory

GATE_CHOICES = [("", "No gate (measure only)")] + [
    (c, f"Entering {StateCategory(c).label}") for c in GATE_CATEGORIES
]


class StandardForm(forms.Form):
    name = forms.CharField(max_length=80)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    subject = forms.ChoiceField(choices=Subject.choices, initial=Subject.TASK)
    gate = forms.ChoiceField(choices=GATE_CHOICES, required=False)
    mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.BLOCK)
    checks = forms.MultipleChoiceField(
        choices=[(k.key, f"{k.label} — {k.description}") for k in REGISTRY.values()],
        widget=forms.CheckboxSelectMultiple,
    )
    required = forms.MultipleChoiceField(
        label="Required fields (for the Required fields check)",
        choices=[(name, label) for name, (label, _) in FIELDS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    days = forms.IntegerField(
        label="Check-in cadence in days", min_value=1, max_value=90, initial=14, required=False
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="Shared with the workspace",
        help_text="A team's own standard is adopted by that team at once.",
    )

    def __init__(self, *args: Any, workspace_id: int, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.for_workspace(workspace_id).order_by("name")
        if editing:
            for name in ("subject", "team"):
                del self.fields[name]

    def checks_data(self, subject: str) -> list[dict[str, Any]]:
        """The checked kinds with their params, as the service takes them."""
        data = self.cleaned_data
        result = []
        for kind in data["checks"]:
            params: dict[str, Any] = {}
            if kind == "required_fields":
                params = {"fields": data.get("required") or []}
            elif kind == "check_in_cadence":
                params = {"days": data.get("days") or 14}
            elif kind == "linked_to_key_result":
                params = {"only_in_sprint": True}
            result.append({"kind": kind, "params": params})
        return result


class WaiveForm(forms.Form):
    reason = forms.CharField(
        min_length=10, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


__all__ = ["KEY_RESULT", "TASK", "StandardForm", "WaiveForm"]
