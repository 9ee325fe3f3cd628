"""Workspace settings: require two-factor of every member, and see who has not set it up."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from alignment.http import WorkspaceRequest, paginate, see_other_to, settings_context
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from twofactor import selectors, services
from twofactor.errors import EnrolYourselfFirst
from twofactor.forms import PolicyForm


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def two_factor_settings(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    policy = selectors.policy_for(workspace)
    form = PolicyForm(
        request.POST if request.method == "POST" else None, initial={"required": policy.required}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        required = form.cleaned_data["required"]
        try:
            services.two_factor_policy_set(actor=request.membership, required=required)
        except EnrolYourselfFirst as exc:
            form.add_error("required", exc.text)
            status = exc.status
        else:
            messages.success(
                request,
                "Two-factor authentication is now required here."
                if required
                else "Two-factor authentication is now optional here.",
            )
            return see_other_to("twofactor_workspace:settings", workspace)
    context = settings_context(
        request,
        "two_factor",
        form=form,
        policy=policy,
        page=paginate(request, selectors.members_without_two_factor(workspace)),
    )
    return render(request, "twofactor/workspace_settings.html", context, status=status)
