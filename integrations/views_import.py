"""Import and export pages, under /w/<slug>/integrations/export/ and …/import/.

Exports are CSV files streamed row by row; any member (viewer and up) may download them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from alignment.http import WorkspaceRequest
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from integrations import exporters
from okrs.models import Period


class BadFilter(ValueError):
    pass


def _team_filter(request: WorkspaceRequest, workspace: Workspace) -> Team | None:
    key = request.GET.get("team", "").strip()
    if not key:
        return None
    return get_object_or_404(Team.objects.for_workspace(workspace), key=key.upper())


def _period_filter(request: WorkspaceRequest, workspace: Workspace) -> Period | None:
    raw = request.GET.get("period", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadFilter("The period filter must be a period id.")
    return get_object_or_404(Period.objects.for_workspace(workspace), pk=int(raw))


def _csv_response(lines: Iterator[str], name: str, workspace: Workspace) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{workspace.slug}-{name}-{stamp}.csv"'
    # workspace_view is typed for HttpResponse views; a streaming response serves the same.
    return cast(HttpResponse, response)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def export_index(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    context = {
        "workspace": workspace,
        "teams": Team.objects.for_workspace(workspace).order_by("key"),
        "periods": Period.objects.for_workspace(workspace).order_by("-start"),
    }
    return render(request, "integrations/export_index.html", context)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def export_tasks(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Tasks as CSV; `?team=ENG` keeps one team's."""
    team = _team_filter(request, workspace)
    rows = exporters.task_rows(workspace=workspace, team=team)
    return _csv_response(exporters.csv_lines(exporters.TASK_COLUMNS, rows), "tasks", workspace)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def export_okrs(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Objectives and key results as CSV; `?team=ENG` and `?period=<id>` narrow it."""
    team = _team_filter(request, workspace)
    try:
        period = _period_filter(request, workspace)
    except BadFilter as error:
        return HttpResponseBadRequest(str(error))
    rows = exporters.okr_rows(workspace=workspace, team=team, period=period)
    return _csv_response(exporters.csv_lines(exporters.OKR_COLUMNS, rows), "okrs", workspace)
