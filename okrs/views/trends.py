"""Trend charts of an objective and its key results (daily snapshots vs the expected pace).

The snapshots belong to `dashboards` (written by its daily job); `dashboards.trends` reads them
for every node of the page in one query and shapes the charts with the dashboards' chart
primitives, so the OKR pages and the dashboards draw alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from alignment.errors import NotFound
from alignment.http import WorkspaceRequest
from alignment.models import Role, Workspace
from alignment.parsing import parse_id
from alignment.tenancy import workspace_view
from dashboards import trends
from dashboards.views import csv_response  # the one CSV writer, with its formula guard
from okrs.models import KeyResult, Objective
from okrs.views._common import get_objective

OBJECTIVE, KEY_RESULT = "objective", "key_result"


@dataclass
class Trends:
    objective: trends.Trend
    key_results: dict[int, trends.Trend]
    empty: str = trends.EMPTY


def trends_for(
    objective: Objective, key_results: Sequence[KeyResult], *, today: date | None = None
) -> Trends:
    """The objective's chart and one per key result: one query for all of them."""
    period = objective.period
    today = today or timezone.localdate()
    nodes = [(OBJECTIVE, objective.pk), *((KEY_RESULT, kr.pk) for kr in key_results)]
    series = trends.progress_series(objective.workspace, nodes, start=period.start, end=period.end)

    def chart(kind: str, node_id: int, subject: str) -> trends.Trend:
        return trends.trend_chart(
            f"{kind.replace('_', '-')}-{node_id}-trend",
            subject,
            series[(kind, node_id)],
            start=period.start,
            end=period.end,
            today=today,
        )

    return Trends(
        objective=chart(OBJECTIVE, objective.pk, f"the objective “{objective.title}”"),
        key_results={
            kr.pk: chart(KEY_RESULT, kr.pk, f"the key result “{kr.title}”") for kr in key_results
        },
    )


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def objective_trend_export(
    request: WorkspaceRequest, workspace: Workspace, objective_id: int
) -> HttpResponse:
    """The trend tables as CSV: the objective and its KRs, or ?key_result=<id> for one KR."""
    objective = get_objective(workspace, objective_id)
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
    found = trends_for(objective, key_results)
    charts = [((KEY_RESULT, kr.pk), kr.title, found.key_results[kr.pk].chart) for kr in key_results]
    if wanted is None:
        charts.insert(0, ((OBJECTIVE, objective.pk), objective.title, found.objective.chart))
    header, rows = trends.csv_rows(charts)
    suffix = f"-kr-{key_results[0].pk}" if wanted is not None else ""
    return csv_response(
        f"{workspace.slug}-objective-{objective.pk}{suffix}-trend.csv", header, rows
    )
