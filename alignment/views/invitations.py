"""Settings: inviting people by e-mail, and the invitations already sent (admin)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from alignment import services
from alignment.errors import AlreadyMember, FieldErrors
from alignment.filters import INVITATION_STATUSES, invitation_status_q
from alignment.forms import InvitationForm
from alignment.http import (
    WorkspaceRequest,
    add_field_errors,
    form_status,
    paginate,
    query_without,
    see_other_to,
    settings_context,
)
from alignment.models import Invitation, Role, Team, Workspace
from alignment.tenancy import workspace_view


def _form(request: WorkspaceRequest) -> InvitationForm:
    form = InvitationForm(
        request.POST if request.method == "POST" else None,
        teams=Team.objects.for_workspace(request.workspace).order_by("name"),
    )
    if not request.membership.has_role(Role.OWNER):
        # Only owners may make owners, so admins are not offered what they would be refused.
        role = form.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [c for c in Role.choices if c[0] != Role.OWNER]
    return form


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def invitation_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The invite form and every invitation, newest first, filterable by status."""
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _raw = services.invitation_create(
                actor=request.membership, **form.cleaned_data
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        except AlreadyMember as exc:
            form.add_error("email", exc.text)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}. The link works once, for "
                f"{(invitation.expires_at - invitation.created_at).days} days.",
            )
            return see_other_to("workspace:invitations", workspace)
    status = request.GET.get("status", "")
    invitations = (
        Invitation.objects.for_workspace(workspace)
        .select_related("invited_by")
        .prefetch_related("teams")
        .order_by("-created_at", "-pk")
    )
    if status in INVITATION_STATUSES:
        invitations = invitations.filter(invitation_status_q(status))
    else:
        status = ""
    context = settings_context(
        request,
        "invitations",
        form=form,
        page=paginate(request, invitations),
        keep=query_without(request, "page"),
        status=status,
        statuses=INVITATION_STATUSES,
    )
    return render(
        request,
        "settings/invitations.html",
        context,
        status=form_status(request),
    )


def _invitation(workspace: Workspace, invitation_id: int) -> Invitation:
    return get_object_or_404(Invitation.objects.for_workspace(workspace), pk=invitation_id)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def invitation_revoke(
    request: WorkspaceRequest, workspace: Workspace, invitation_id: int
) -> HttpResponse:
    invitation = services.invitation_revoke(
        actor=request.membership, invitation=_invitation(workspace, invitation_id)
    )
    messages.success(request, f"The invitation of {invitation.email} no longer works.")
    return see_other_to("workspace:invitations", workspace)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def invitation_resend(
    request: WorkspaceRequest, workspace: Workspace, invitation_id: int
) -> HttpResponse:
    """Send a fresh link; the previous one stops working."""
    invitation, _raw = services.invitation_resend(
        actor=request.membership, invitation=_invitation(workspace, invitation_id)
    )
    messages.success(request, f"A new link was sent to {invitation.email}; the old one is void.")
    return see_other_to("workspace:invitations", workspace)
