"""Input shape of the saved-view form (no writes: tasks.saved_views.services holds the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from alignment.models import Membership, Team
from tasks.saved_views.models import ViewLayout, ViewScope


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80)
    query = forms.CharField(
        max_length=200,
        label="Filter",
        help_text='The search syntax, e.g. assignee:me state:"In Review" label:bug due:week',
    )
    layout = forms.ChoiceField(choices=ViewLayout.choices, initial=ViewLayout.LIST)
    scope = forms.ChoiceField(
        choices=ViewScope.choices, initial=ViewScope.PERSONAL, label="Shared with"
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, viewer: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.visible_to(viewer).order_by("name")
        team.help_text = "Only when shared with a team."
        if viewer.is_guest or not viewer.has_role("member"):
            # Sharing needs a member (services.saved_view_create says the same).
            scope = self.fields["scope"]
            assert isinstance(scope, forms.ChoiceField)
            scope.choices = [(ViewScope.PERSONAL, ViewScope.PERSONAL.label)]
