"""Settings: who is in the workspace, their roles, removing people and leaving."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from alignment import services
from alignment.errors import FieldErrors
from alignment.forms import RoleForm
from alignment.http import WorkspaceRequest, paginate, see_other, see_other_to, settings_context
from alignment.models import Membership, Role, Workspace
from alignment.tenancy import workspace_view


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.VIEWER)
def settings_index(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    return redirect("workspace:members", slug=workspace.slug)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.OWNER)
def member_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    members = (
        Membership.objects.for_workspace(workspace)
        .select_related("user")
        .order_by("user__email", "pk")
    )
    context = settings_context(
        request, "members", page=paginate(request, members), roles=Role.choices
    )
    return render(request, "settings/members.html", context)


def _member(workspace: Workspace, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.for_workspace(workspace).select_related("user"), pk=membership_id
    )


@require_POST
@vary_on_headers("HX-Request")
@workspace_view(read=Role.OWNER, write=Role.OWNER)
def member_role(
    request: WorkspaceRequest, workspace: Workspace, membership_id: int
) -> HttpResponse:
    """Change a role: htmx swaps the row; the plain form redirects back to the list."""
    membership = _member(workspace, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        raise FieldErrors(
            {"role": "Choose one of: owner, admin, member, viewer."},
            message="Choose one of the roles: owner, admin, member or viewer.",
        )
    membership = services.membership_change_role(
        actor=request.membership, membership=membership, role=form.cleaned_data["role"]
    )
    text = f"{membership.user.display_name} is now {membership.get_role_display().lower()}."
    if membership.pk == request.membership.pk:
        # You changed your own role: what you may do on this page changed with it.
        messages.success(request, text)
        url = reverse("workspace:members", kwargs={"slug": workspace.slug})
        return HttpResponseClientRedirect(url) if request.htmx else see_other(url)
    if request.htmx:
        context = settings_context(request, "members", m=membership, roles=Role.choices)
        context["saved"] = True
        return render(request, "settings/_member_row.html", context)
    messages.success(request, text)
    return see_other_to("workspace:members", workspace)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.OWNER, write=Role.OWNER)
def member_remove(
    request: WorkspaceRequest, workspace: Workspace, membership_id: int
) -> HttpResponse:
    """Confirm, then remove someone. Removing yourself is leaving (see member_leave)."""
    membership = _member(workspace, membership_id)
    if membership.pk == request.membership.pk:
        return see_other_to("workspace:member_leave", workspace)
    if request.method == "POST":
        services.membership_remove(actor=request.membership, membership=membership)
        messages.success(
            request, f"{membership.user.display_name} was removed from {workspace.name}."
        )
        return see_other_to("workspace:members", workspace)
    return render(
        request,
        "settings/member_remove.html",
        settings_context(request, "members", target=membership),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def member_leave(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Confirm, then leave the workspace. The last owner has to hand over first."""
    if request.method == "POST":
        services.membership_remove(actor=request.membership, membership=request.membership)
        messages.success(request, f"You left {workspace.name}.")
        return see_other(reverse("home"))
    return render(request, "settings/member_leave.html", settings_context(request, "members"))
