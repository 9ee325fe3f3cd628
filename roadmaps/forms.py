"""Input shapes for the roadmap pages. No writes here."""

from __future__ import annotations

from typing import Any

from django import forms

DATE = forms.DateInput(attrs={"type": "date"})


class RescheduleForm(forms.Form):
    """New dates for one timeline bar, with the version the person saw."""

    start_date = forms.DateField(required=False, widget=DATE, label="Start")
    target_date = forms.DateField(required=False, widget=DATE, label="Target")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, target = data.get("start_date"), data.get("target_date")
        if start and target and target < start:
            self.add_error("target_date", "The target date cannot be before the start date.")
        return data
