"""Settings: the workspace's time zone (admin)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from alignment.errors import FieldErrors
from alignment.forms import WorkspaceTimeZoneForm
from alignment.http import (
    WorkspaceRequest,
    add_field_errors,
    form_status,
    see_other_to,
    settings_context,
)
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from alignment.timezones import (
    today,
    workspace_time_zone_set,
    workspace_zone,
    workspace_zone_name,
    zone_names,
)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def time_zone_settings(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Everyone sees the zone (it explains the dates they read); admins change it."""
    form = WorkspaceTimeZoneForm(
        request.POST or None, initial={"time_zone": workspace_zone_name(workspace)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            workspace = workspace_time_zone_set(
                actor=request.membership, name=form.cleaned_data["time_zone"]
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(
                request, f"The workspace now runs on {workspace_zone_name(workspace)}."
            )
            return see_other_to("workspace:time_zone", workspace)
    context = settings_context(
        request,
        "time_zone",
        form=form,
        zone_name=workspace_zone_name(workspace),
        local_now=timezone.localtime(timezone.now(), workspace_zone(workspace)),
        today=today(workspace),
        zone_names=zone_names(),
    )
    status = form_status(request)
    return render(request, "settings/time_zone.html", context, status=status)
