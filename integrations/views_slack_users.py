"""The Slack connection's people page (admins): who each Slack user acts as, with remove, and
the connection's Slack team (requests and links from any other team are refused)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, see_other_to, settings_context
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from integrations.models import Integration, Provider, SlackUserLink
from integrations.slack_users import TEAM_KEY, slack_team_set, slack_user_link_remove


def _slack(workspace: Workspace, integration_id: int) -> Integration:
    integration = get_object_or_404(Integration.objects.for_workspace(workspace), pk=integration_id)
    if integration.provider != Provider.SLACK:
        raise Http404("Only Slack connections link Slack users.")
    return integration


def _page(
    request: WorkspaceRequest, integration: Integration, *, error: str = "", status: int = 200
) -> HttpResponse:
    links = (
        SlackUserLink.objects.for_workspace(request.workspace)
        .filter(integration=integration)
        .select_related("user")
        .order_by("user__email", "slack_user_id")
    )
    context = settings_context(
        request,
        "integrations",
        tab="connections",
        integration=integration,
        links=links,
        team_id=(integration.config or {}).get(TEAM_KEY, ""),
        team_error=error,
    )
    return render(request, "integrations/slack_users.html", context, status=status)


@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def slack_users(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int
) -> HttpResponse:
    return _page(request, _slack(workspace, integration_id))


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def slack_user_unlink(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int, link_id: int
) -> HttpResponse:
    integration = _slack(workspace, integration_id)
    link = get_object_or_404(
        SlackUserLink.objects.for_workspace(workspace).filter(integration=integration),
        pk=link_id,
    )
    slack_user_link_remove(actor=request.membership, link=link)
    messages.success(request, f"Slack user {link.slack_user_id} is no longer linked.")
    return see_other_to("integrations:slack_users", workspace, integration_id=integration.pk)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def slack_team(
    request: WorkspaceRequest, workspace: Workspace, integration_id: int
) -> HttpResponse:
    integration = _slack(workspace, integration_id)
    try:
        team = slack_team_set(
            actor=request.membership,
            integration=integration,
            team_id=str(request.POST.get("team_id") or ""),
        )
    except FieldErrors as error:
        message = "; ".join(m for ms in error.fields.values() for m in ms)
        return _page(request, integration, error=message, status=422)
    messages.success(
        request,
        f"Slack team set to {team}." if team else "Slack team cleared: asked of Slack again.",
    )
    return see_other_to("integrations:slack_users", workspace, integration_id=integration.pk)
