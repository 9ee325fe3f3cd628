"""What a key result's or an objective's number is made of: pages and htmx partials.

The same URL answers a full page (deep links, no JavaScript) or, for htmx, the partial the
OKR pages load into their explanation slot (`hx-trigger="load"`). Numbers come from
`dashboards.explain`, which reads the materialized rollup rows.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from alignment.errors import NotFound
from alignment.http import WorkspaceRequest, is_partial
from alignment.models import Role, Workspace
from alignment.parsing import is_digits
from alignment.tenancy import workspace_view
from dashboards import explain
from okrs.models import KeyResult, Objective


def _item_param(request: WorkspaceRequest) -> int | None:
    raw = request.GET.get("item", "")
    if raw == "":
        return None
    if not is_digits(raw):
        raise NotFound("No such roadmap item is linked to this key result.")
    return int(raw)


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def key_result_explanation(
    request: WorkspaceRequest, workspace: Workspace, key_result_id: int
) -> HttpResponse:
    """A key result's number down to the tasks; ?item=<id> lists all of one item's tasks."""
    key_result = get_object_or_404(
        KeyResult.objects.for_workspace(workspace).select_related("objective__period"),
        pk=key_result_id,
    )
    item_id = _item_param(request)
    explanation = explain.key_result_explanation(workspace, key_result, item_id=item_id)
    if item_id is not None and item_id not in {item.id for item in explanation.items}:
        raise NotFound("No such roadmap item is linked to this key result.")
    context = {
        "workspace": workspace,
        "key_result": key_result,
        "objective": key_result.objective,
        "explanation": explanation,
        "item_id": item_id,
    }
    if is_partial(request):
        return render(request, "dashboards/_explain_key_result.html", context)
    return render(request, "dashboards/explain_key_result.html", context)


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def objective_explanation(
    request: WorkspaceRequest, workspace: Workspace, objective_id: int
) -> HttpResponse:
    """An objective's number: each key result's (and aligned objective's) contribution."""
    objective = get_object_or_404(
        Objective.objects.for_workspace(workspace).select_related("period"), pk=objective_id
    )
    context = {
        "workspace": workspace,
        "objective": objective,
        "explanation": explain.objective_explanation(workspace, objective),
    }
    if is_partial(request):
        return render(request, "dashboards/_explain_objective.html", context)
    return render(request, "dashboards/explain_objective.html", context)
