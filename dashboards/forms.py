"""Input shapes of the delivery page (deployments and incidents); the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from alignment.models import Team
from dashboards.models import Deployment

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DeploymentForm(forms.Form):
    deployed_at = forms.DateTimeField(label="Deployed at", widget=DATETIME)
    committed_at = forms.DateTimeField(
        label="First commit of the change",
        required=False,
        widget=DATETIME,
        help_text="Lead time for changes runs from here to the deployment.",
    )
    reference = forms.CharField(label="Version or commit", max_length=100, required=False)
    description = forms.CharField(max_length=255, required=False)
    is_failure = forms.BooleanField(
        label="Caused a failure needing a fix (rollback, hotfix, incident)", required=False
    )


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200)
    started_at = forms.DateTimeField(label="Started at", widget=DATETIME)
    resolved_at = forms.DateTimeField(label="Service restored at", required=False, widget=DATETIME)
    deployment = forms.ModelChoiceField(
        queryset=Deployment.objects.none(), required=False, label="Caused by the deployment"
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this team's recent deployments: an id from elsewhere is "not a valid choice".
        field = self.fields["deployment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Deployment.objects.filter(
            workspace_id=team.workspace_id, team=team
        ).order_by("-deployed_at")[:50]
