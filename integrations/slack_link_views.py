"""The page a Slack user opens to link their Slack account to their Alignment account.

Every role may link their own account (it changes nothing but who they are in Slack), so the
page reads and writes as a viewer, and guests may too: in Slack they then see and change only
their own teams' tasks (integrations.slack_users.refusal and `visible_to`). The token in the
link (integrations.slack_users) names the Slack user; the person logged in is who they become.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from alignment.models import Role, Workspace
from alignment.tenancy import membership_of, workspace_view
from integrations.slack_users import BadLink, read_link, slack_user_link_confirm


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def slack_link(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    token = request.POST.get("t") if request.method == "POST" else request.GET.get("t")
    try:
        link = read_link(token or "", workspace)
    except BadLink:
        context = {"workspace": workspace, "problem": True}
        return render(request, "integrations/slack_link.html", context, status=400)
    linked = None
    if request.method == "POST":
        linked = slack_user_link_confirm(actor=membership_of(request), request=link)
    context = {"workspace": workspace, "link": link, "token": token, "linked": linked}
    return render(request, "integrations/slack_link.html", context)
