"""The integration's review rules page (admins): what reviews do to the tasks a PR names."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from alignment.errors import FieldErrors
from alignment.http import (
    WorkspaceRequest,
    add_field_errors,
    form_status,
    see_other_to,
    settings_context,
)
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from integrations import review_rules
from integrations.forms_review import ReviewRulesForm, field_name
from integrations.models import Integration, Provider
from tasks.models import WorkflowState

REVIEW_PROVIDERS = (Provider.GITHUB, Provider.GITLAB)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def review_rules_edit(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int
) -> HttpResponse:
    integration = get_object_or_404(Integration.objects.for_workspace(workspace), pk=integration_id)
    if integration.provider not in REVIEW_PROVIDERS:
        raise Http404("Only GitHub and GitLab integrations have review rules.")
    teams = list(Team.objects.for_workspace(workspace).order_by("name", "pk"))
    states: dict[int, list[WorkflowState]] = {}
    for state in (
        WorkflowState.objects.for_workspace(workspace)
        .filter(team__in=teams)
        .order_by("position", "pk")
    ):
        states.setdefault(state.team_id, []).append(state)
    current = {
        team.pk: review_rules.rules_for(integration, team, states.get(team.pk, []))
        for team in teams
    }
    form = ReviewRulesForm(
        request.POST if request.method == "POST" else None,
        teams=teams,
        states=states,
        current=current,
    )
    if request.method == "POST" and form.is_valid():
        try:
            rules = {
                team.pk: review_rules.clean_team_rules(
                    team, form.team_data(team), prefix=f"team_{team.pk}_"
                )
                for team in teams
            }
            review_rules.save_review_rules(
                actor=request.membership, integration=integration, rules=rules
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Review rules of {integration.name} saved.")
            return see_other_to(
                "integrations:review_rules", workspace, integration_id=integration.pk
            )
    return render(
        request,
        "integrations/review_rules.html",
        settings_context(
            request,
            "integrations",
            tab="connections",
            integration=integration,
            form=form,
            field_name=field_name,
        ),
        status=form_status(request),
    )
