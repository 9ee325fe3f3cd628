"""The workspace's OKR status thresholds page (admins): current values, defaults, save, reset."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from alignment.errors import FieldErrors, StaleVersion
from alignment.http import WorkspaceRequest, add_field_errors, see_other, settings_context
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from okrs.services import settings as service
from okrs.settings_forms import ThresholdsForm
from okrs.views._common import url


def _initial(current: service.OkrThresholds) -> dict[str, object]:
    return {**current.values.as_dict(), "version": current.version}


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def okr_settings(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """When objectives and key results count as at risk or off track, for the whole workspace."""
    current = service.okr_thresholds_of(workspace)
    status = 200
    if request.method == "POST":
        form = ThresholdsForm(request.POST)
        reset = request.POST.get("action") == "reset"
        if reset or form.is_valid():
            try:
                if reset:
                    service.okr_thresholds_reset(
                        actor=request.membership, expected_version=_posted_version(request)
                    )
                else:
                    values = dict(form.cleaned_data)
                    version = values.pop("version")
                    service.okr_thresholds_update(
                        actor=request.membership, expected_version=version, **values
                    )
            except FieldErrors as exc:
                add_field_errors(form, exc)
            except StaleVersion:
                # Bound to their values (and version), so saving again is a deliberate choice.
                form = ThresholdsForm(_initial(service.okr_thresholds_of(workspace)))
                form.is_valid()
                form.add_error(
                    None,
                    "Someone else changed the thresholds while you were editing. The form now "
                    "shows their values; make your change again.",
                )
            else:
                saved = "Back to the default thresholds." if reset else "Thresholds saved."
                messages.success(
                    request,
                    f"{saved} Every objective's and key result's status is recomputed with "
                    "them; pages show the new statuses as soon as that finishes.",
                )
                return see_other(url("settings", workspace))
        status = 422
    else:
        form = ThresholdsForm(initial=_initial(current))
    context = settings_context(request, "okrs", form=form, current=current)
    return render(request, "okrs/settings.html", context, status=status)


def _posted_version(request: WorkspaceRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None
