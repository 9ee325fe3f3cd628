"""Take the daily snapshot now (admins), so a new workspace's trend need not wait for the night.

The beat job snapshots every workspace each night. A workspace without any snapshot yet would
show an empty trend until tomorrow; an admin can instead rebuild the last days from history
(the backfill) and take today's snapshot now.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from alignment import timezones
from alignment.http import WorkspaceRequest, see_other
from alignment.models import Role, Workspace
from alignment.parsing import is_digits
from alignment.tenancy import workspace_view
from dashboards import snapshots
from dashboards.models import Snapshot
from dashboards.selectors import TREND_DAYS


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def snapshot_now(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Take today's snapshot; with none stored yet, first rebuild the last days from history."""
    today = timezones.today(workspace)
    first = not Snapshot.objects.filter(workspace=workspace).exists()
    if first:
        snapshots.backfill(workspace, days=TREND_DAYS, today=today)
    snapshots.take_daily(workspace, day=today)
    messages.success(
        request,
        (
            f"Trend built from the last {TREND_DAYS} days of history (as items and links are "
            "now) and today's snapshot taken; a new point is added every night."
        )
        if first
        else "Today's snapshot taken; a new point is added every night.",
    )
    url = reverse("dashboards:leader", kwargs={"slug": workspace.slug})
    period = request.POST.get("period", "")
    return see_other(f"{url}?period={period}" if is_digits(period) else url)
