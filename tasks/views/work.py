"""My work (open tasks grouped by the objective they serve) and the workspace search."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from alignment.http import WorkspaceRequest
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from tasks import page_selectors, selectors
from tasks.search import SearchResult, workspace_search
from tasks.views._common import is_partial, work_context

KIND_LABELS = {"task": "Task", "objective": "Objective", "roadmap_item": "Roadmap item"}
TOP_BAR_RESULTS = 8
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
    if result.kind == "task":
        return reverse("tasks:task", kwargs={"slug": workspace.slug, "key": result.key})
    if result.kind == "objective":
        result.obj.workspace = workspace  # type: ignore[attr-defined]
        return result.obj.get_absolute_url()  # type: ignore[attr-defined,no-any-return]
    roadmap_id = result.obj.roadmap_id  # type: ignore[attr-defined]
    base = reverse("roadmaps:timeline", kwargs={"slug": workspace.slug, "roadmap_id": roadmap_id})
    return f"{base}#item-{result.id}"


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def search(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Tasks, objectives and roadmap items; the top bar gets a short partial list."""
    q = request.GET.get("q", "").strip()[:200]
    partial = is_partial(request) and request.GET.get("full") != "1"
    results = workspace_search(
        workspace, q, viewer=request.membership, limit=TOP_BAR_RESULTS if partial else PAGE_RESULTS
    )
    rows = [
        {"result": r, "url": result_url(workspace, r), "kind": KIND_LABELS.get(r.kind, r.kind)}
        for r in results
    ]
    context = work_context(request, q=q, rows=rows)
    template = "tasks/_search_results.html" if partial else "tasks/search.html"
    return render(request, template, context)
