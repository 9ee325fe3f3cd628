"""The OKR trend charts as CSV: an objective and its key results (or ?key_result=<id>).

The charts themselves are drawn on the objective page, which gets them through
`okrs.selectors.objective_trends` (registered in DashboardsConfig.ready): okrs does not
import dashboards; dashboards reads okrs.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from alignment.errors import NotFound
from alignment.http import WorkspaceRequest
from alignment.models import Role, Workspace
from alignment.parsing import parse_id
from alignment.tenancy import workspace_view
from dashboards import trends
from dashboards.views import csv_response
from okrs.models import KeyResult, Objective


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def objective_trend_export(
    request: WorkspaceRequest, workspace: Workspace, objective_id: int
) -> HttpResponse:
    """The trend tables as CSV: the objective and its KRs, or ?key_result=<id> for one KR."""
    objective = get_object_or_404(
        Objective.objects.for_workspace(workspace).select_related("period"), pk=objective_id
    )
    key_results = list(
        KeyResult.objects.for_workspace(workspace)
        .filter(objective=objective)
        .order_by("position", "id")
    )
    wanted = request.GET.get("key_result")
    if wanted is not None:
        key_result_id = parse_id(wanted)
        key_results = [kr for kr in key_results if kr.pk == key_result_id]
        if not key_results:
            raise NotFound(f"“{objective.title}” has no key result {wanted!r}.")
    found = trends.trends_for(objective, key_results)
    charts = [
        ((trends.KEY_RESULT, kr.pk), kr.title, found.key_results[kr.pk].chart) for kr in key_results
    ]
    if wanted is None:
        charts.insert(0, ((trends.OBJECTIVE, objective.pk), objective.title, found.objective.chart))
    header, rows = trends.csv_rows(charts)
    suffix = f"-kr-{key_results[0].pk}" if wanted is not None else ""
    return csv_response(
        f"{workspace.slug}-objective-{objective.pk}{suffix}-trend.csv", header, rows
    )
