"""Input shapes for the roadmap pages. No writes here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from alignment.dates import range_error
from alignment.models import Membership, Team, Workspace
from okrs.models import KeyResult
from roadmaps.models import RoadmapItemKind, RoadmapItemStatus

DATE = forms.DateInput(attrs={"type": "date"})


class RescheduleForm(forms.Form):
    """New dates for one timeline bar, with the version the person saw."""

    start_date = forms.DateField(required=False, widget=DATE, label="Start")
    target_date = forms.DateField(required=False, widget=DATE, label="Target")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bad_range = range_error(data.get("start_date"), data.get("target_date"), end_name="target")
        if bad_range:
            self.add_error("target_date", bad_range)
        return data


MISSING_VERSION = (
    "This form is missing the version you loaded, so a concurrent change could be "
    "overwritten: reload the page and make your change again."
)


class VersionedForm(forms.Form):
    """A create/edit form whose edits must carry the version they started from.

    An edit without it could silently overwrite someone else's change. Checked in `clean` as a
    form-wide error: the field is hidden, so its own error would not show next to anything.
    """

    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.editing and not data.get("version"):
            self.add_error(None, MISSING_VERSION)
        return data


class RoadmapForm(VersionedForm):
    """A roadmap's name and description."""

    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RoadmapItemForm(VersionedForm):
    """An initiative or epic on a roadmap. Teams are limited to the workspace's own."""

    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=RoadmapItemKind.choices, initial=RoadmapItemKind.EPIC)
    status = forms.ChoiceField(choices=RoadmapItemStatus.choices, initial=RoadmapItemStatus.PLANNED)
    owner_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, label="Owning team", empty_label="No team"
    )
    start_date = forms.DateField(required=False, widget=DATE, label="Start")
    target_date = forms.DateField(required=False, widget=DATE, label="Target")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, viewer: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = self.fields["owner_team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.visible_to(viewer).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bad_range = range_error(data.get("start_date"), data.get("target_date"), end_name="target")
        if bad_range:
            self.add_error("target_date", bad_range)
        return data


class KeyResultChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.objective.title} → {obj.title}"


class KeyResultLinkForm(forms.Form):
    """Say which key result an item moves, and how much of the item's work counts for it."""

    key_result = KeyResultChoiceField(
        queryset=KeyResult.objects.none(),
        label="Key result",
        empty_label="Choose a key result…",
        error_messages={"invalid_choice": "Choose a key result of an open period."},
    )
    weight = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_value=Decimal("9999.99"),
        decimal_places=2,
        initial=Decimal("1"),
        help_text="Relative share of this item in the key result's task-based progress.",
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kr_field = self.fields["key_result"]
        assert isinstance(kr_field, forms.ModelChoiceField)
        kr_field.queryset = linkable_key_results(workspace)


def linkable_key_results(workspace: Workspace) -> QuerySet[KeyResult]:
    """Key results of periods that are still open, grouped by objective."""
    return (
        KeyResult.objects.for_workspace(workspace)
        .filter(objective__period__closed_at__isnull=True)
        .select_related("objective")
        .order_by("objective__title", "title")
    )
