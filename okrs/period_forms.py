"""The period form: the base fields of `okrs.forms.PeriodForm` and whether it may overlap."""

from __future__ import annotations

from django import forms

from okrs.forms import PeriodForm as BasePeriodForm


class PeriodForm(BasePeriodForm):
    allows_overlap = forms.BooleanField(
        required=False,
        label="This period overlaps other periods on purpose",
        help_text=(
            "Periods do not share days unless one of them says so, e.g. a year that spans the "
            "quarters. Dashboards open on the regular period of today."
        ),
    )
    overlap_reason = forms.CharField(
        required=False,
        max_length=200,
        label="Why it overlaps",
        help_text="Required when it overlaps, e.g. “The company's goals for the year”.",
    )
