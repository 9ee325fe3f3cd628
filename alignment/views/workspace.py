"""The workspace switcher, creating a workspace, and a workspace's home page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from alignment import services
from alignment.errors import FieldErrors
from alignment.forms import WorkspaceForm
from alignment.http import AuthedRequest, WorkspaceRequest, add_field_errors, form_status
from alignment.models import Membership, Team, Workspace
from alignment.tenancy import workspace_view


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
@require_GET
def workspace_list(request: AuthedRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("workspace")
    return render(request, "workspaces/list.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def workspace_new(request: AuthedRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.workspace_create(actor=request.user, **form.cleaned_data)
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"{workspace.name} is ready. Add your first team.")
            return redirect(workspace.get_absolute_url())
    status = form_status(request)
    return render(request, "workspaces/new.html", {"form": form}, status=status)


@require_GET
@workspace_view(guests=True)
def workspace_home(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    if request.membership.is_guest:
        # A guest's workspace is their teams' boards; the home page is company-wide.
        return redirect("tasks:boards", slug=workspace.slug)
    teams = Team.objects.visible_to(request.membership).order_by("name")
    return render(request, "workspaces/home.html", {"workspace": workspace, "teams": teams})
