"""The form of the OKR status thresholds page: input shape only; the service checks the rules."""

from __future__ import annotations

from django import forms

from okrs.services.settings import DEFAULTS


def _points(value: float) -> str:
    return f"{value:g}"


class ThresholdsForm(forms.Form):
    at_risk_points = forms.DecimalField(
        label="At risk when this many percentage points behind pace",
        max_digits=6,
        decimal_places=2,
        help_text=(
            "Compared with how much of the period has passed: halfway through a quarter, a key "
            f"result at 40% is 10 points behind. Default: {_points(DEFAULTS.at_risk_points)}."
        ),
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "max": "100"}),
    )
    off_track_points = forms.DecimalField(
        label="Off track when this many percentage points behind pace",
        max_digits=6,
        decimal_places=2,
        help_text=(f"At least the at-risk value. Default: {_points(DEFAULTS.off_track_points)}."),
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "max": "100"}),
    )
    at_risk_confidence = forms.IntegerField(
        label="At risk when the owner's confidence is at or below",
        help_text=(
            "Confidence is given with each check-in, from 0 (no chance) to 10 (certain). "
            f"Default: {DEFAULTS.at_risk_confidence}."
        ),
        widget=forms.NumberInput(attrs={"min": "0", "max": "10"}),
    )
    off_track_confidence = forms.IntegerField(
        label="Off track when the owner's confidence is at or below",
        help_text=f"At most the at-risk value. Default: {DEFAULTS.off_track_confidence}.",
        widget=forms.NumberInput(attrs={"min": "0", "max": "10"}),
    )
    stale_after_days = forms.IntegerField(
        label="At risk when a key result has had no check-in for more than this many days",
        help_text=(
            "Only key results measured by check-ins; work-fed ones are always current. "
            f"1 to 365. Default: {DEFAULTS.stale_after_days}."
        ),
        widget=forms.NumberInput(attrs={"min": "1", "max": "365"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
