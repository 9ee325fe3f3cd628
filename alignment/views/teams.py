"""Settings: teams, and who is on each (admins manage, everyone may look)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment import services
from alignment.errors import FieldErrors
from alignment.forms import TeamForm, TeamMemberForm, TeamPrivacyForm
from alignment.http import (
    WorkspaceRequest,
    add_field_errors,
    form_status,
    see_other_to,
    settings_context,
)
from alignment.models import Membership, Role, Team, TeamMember, User, Workspace
from alignment.tenancy import workspace_view


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def team_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    teams = (
        Team.objects.visible_to(request.membership)
        .annotate(member_count=Count("team_members"))
        .order_by("name")
    )
    return render(request, "settings/teams.html", settings_context(request, "teams", teams=teams))


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def team_new(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    form = TeamForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=request.membership, **form.cleaned_data)
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Team {team.name} created. Add its people below.")
            return see_other_to("workspace:team_edit", workspace, team_id=team.pk)
    return render(
        request,
        "settings/team_form.html",
        settings_context(request, "teams", form=form, team=None),
        status=form_status(request),
    )


def _team(workspace: Workspace, team_id: int) -> Team:
    return get_object_or_404(Team.objects.for_workspace(workspace), pk=team_id)


def _candidates(workspace: Workspace, team: Team) -> QuerySet[User]:
    """Workspace members who are not on the team yet."""
    return (
        User.objects.filter(
            pk__in=Membership.objects.for_workspace(workspace).values("user_id"), is_active=True
        )
        .exclude(pk__in=TeamMember.objects.filter(team=team).values("user_id"))
        .order_by("full_name", "email")
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def team_edit(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Edit a team's name, key and description; its people are listed and managed below."""
    team = _team(workspace, team_id)
    initial = {"name": team.name, "key": team.key, "description": team.description}
    form = TeamForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_update(actor=request.membership, team=team, **form.cleaned_data)
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Team {team.name} saved.")
            return see_other_to("workspace:team_edit", workspace, team_id=team.pk)
        team.refresh_from_db()
    return _render_edit(request, team, form=form, status=form_status(request))


def _render_edit(
    request: WorkspaceRequest,
    team: Team,
    *,
    form: TeamForm | None = None,
    member_form: TeamMemberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = request.workspace
    if form is None:
        form = TeamForm(
            initial={"name": team.name, "key": team.key, "description": team.description}
        )
    if member_form is None:
        member_form = TeamMemberForm(users=_candidates(workspace, team))
    team_members = (
        TeamMember.objects.filter(team=team)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    context = settings_context(
        request,
        "teams",
        team=team,
        form=form,
        member_form=member_form,
        team_members=team_members,
        privacy_form=TeamPrivacyForm(initial={"is_private": team.is_private}),
    )
    return render(request, "settings/team_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def team_delete(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Confirm, then delete. Refused (409) while the team still has work attached."""
    team = _team(workspace, team_id)
    if request.method == "POST":
        services.team_delete(actor=request.membership, team=team)
        messages.success(request, f"Team {team.name} deleted.")
        return see_other_to("workspace:teams", workspace)
    return render(
        request, "settings/team_delete.html", settings_context(request, "teams", team=team)
    )


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def team_privacy(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Make the team private, or public again (admin; audited)."""
    team = _team(workspace, team_id)
    form = TeamPrivacyForm(request.POST)
    form.is_valid()  # a checkbox: absent means public, anything else private
    is_private = bool(form.cleaned_data.get("is_private"))
    services.team_set_private(actor=request.membership, team=team, is_private=is_private)
    if is_private:
        messages.success(
            request, f"{team.name} is private: only its people and admins see its work."
        )
    else:
        messages.success(request, f"{team.name} is public: everyone in {workspace.name} sees it.")
    return see_other_to("workspace:team_edit", workspace, team_id=team.pk)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def team_member_add(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    team = _team(workspace, team_id)
    # The choices are this workspace's members only: an id from elsewhere is "not a choice".
    member_form = TeamMemberForm(request.POST, users=_candidates(workspace, team))
    if not member_form.is_valid():
        return _render_edit(request, team, member_form=member_form, status=422)
    user = member_form.cleaned_data["user"]
    services.team_member_add(actor=request.membership, team=team, user=user)
    messages.success(request, f"{user.display_name} joined {team.name}.")
    return see_other_to("workspace:team_edit", workspace, team_id=team.pk)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def team_member_remove(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, team_member_id: int
) -> HttpResponse:
    team = _team(workspace, team_id)
    team_member = get_object_or_404(
        TeamMember.objects.for_workspace(workspace)
        .filter(team=team)
        .select_related("user", "team"),
        pk=team_member_id,
    )
    services.team_member_remove(actor=request.membership, team_member=team_member)
    messages.success(request, f"{team_member.user.display_name} left {team.name}.")
    return see_other_to("workspace:team_edit", workspace, team_id=team.pk)
