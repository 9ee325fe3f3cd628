"""My work (open tasks grouped by the objective they serve) and the workspace search."""

from __future__ import annotations

from typing import cast

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from alignment.http import WorkspaceRequest
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from okrs.models import KeyResult, Objective
from tasks import page_selectors, selectors
from tasks.search import REGISTERED_KINDS, SearchResult, workspace_search
from tasks.search_query import MAX_QUERY_LENGTH, QUALIFIERS, SearchQueryInvalid
from tasks.views._common import is_partial, work_context

KIND_LABELS = {
    "task": "Task",
    "objective": "Objective",
    "key_result": "Key result",
    "roadmap_item": "Roadmap item",
    "comment": "Comment",
}
TOP_BAR_RESULTS = 8


def kind_label(kind: str) -> str:
    registered = REGISTERED_KINDS.get(kind)
    return registered.label if registered else KIND_LABELS.get(kind, kind)


PAGE_RESULTS = 50


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def my_work(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The signed-in person's open tasks, grouped by the objective each serves."""
    groups = selectors.my_work(workspace, request.membership)
    page_selectors.attach_workspace((g.objective for g in groups if g.objective), workspace)
    tasks = [t for g in groups for t in g.tasks]
    page_selectors.decorate_cards(workspace, tasks)
    context = work_context(request, groups=groups, total=len(tasks))
    return render(request, "tasks/my_work.html", context)


def result_url(workspace: Workspace, result: SearchResult) -> str:
    """Where a result leads: a comment to its place on its task's page."""
    if result.kind in REGISTERED_KINDS:
        return REGISTERED_KINDS[result.kind].url(workspace, result)
    if result.kind in ("task", "comment"):
        url = reverse("tasks:task", kwargs={"slug": workspace.slug, "key": result.key})
        return f"{url}#comment-{result.id}" if result.kind == "comment" else url
    if result.kind in ("objective", "key_result"):
        obj = result.obj
        objective = obj if isinstance(obj, Objective) else cast(KeyResult, obj).objective
        objective.workspace = workspace  # spares a query per row
        url = objective.get_absolute_url()
        return f"{url}#kr-{result.id}" if result.kind == "key_result" else url
    roadmap_id = result.obj.roadmap_id  # type: ignore[attr-defined]
    base = reverse("roadmaps:timeline", kwargs={"slug": workspace.slug, "roadmap_id": roadmap_id})
    return f"{base}#item-{result.id}"


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def search(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Tasks, objectives, key results, roadmap items and comments; the top bar gets a short
    partial list. A query the syntax refuses shows its message instead of results."""
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    partial = is_partial(request) and request.GET.get("full") != "1"
    error = ""
    outcome = None
    try:
        outcome = workspace_search(
            workspace,
            q,
            viewer=request.membership,
            limit=TOP_BAR_RESULTS if partial else PAGE_RESULTS,
        )
    except SearchQueryInvalid as exc:
        error = exc.text
    rows = [
        {"result": r, "url": result_url(workspace, r), "kind": kind_label(r.kind)}
        for r in (outcome.results if outcome else [])
    ]
    context = work_context(
        request,
        q=q,
        rows=rows,
        error=error,
        has_more=bool(outcome and outcome.has_more),
        limit=TOP_BAR_RESULTS if partial else PAGE_RESULTS,
        qualifiers=QUALIFIERS,
    )
    template = "tasks/_search_results.html" if partial else "tasks/search.html"
    return render(request, template, context)
