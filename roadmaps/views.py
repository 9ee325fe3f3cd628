"""Roadmap pages: the list, and the timeline with inline rescheduling."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import retarget

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, is_partial, page_context, see_other
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from roadmaps import selectors, services
from roadmaps.forms import RescheduleForm
from roadmaps.models import Roadmap, RoadmapItem


def get_roadmap(workspace: Workspace, roadmap_id: int) -> Roadmap:
    return get_object_or_404(Roadmap.objects.for_workspace(workspace), pk=roadmap_id)


def timeline_url(workspace: Workspace, roadmap: Roadmap, group_by: str = "team") -> str:
    base = reverse("roadmaps:timeline", kwargs={"slug": workspace.slug, "roadmap_id": roadmap.pk})
    return base if group_by == "team" else f"{base}?group=objective"


def _group_by(value: str | None) -> selectors.GroupBy:
    return "objective" if value == "objective" else "team"


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def roadmap_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The workspace's roadmaps with their item counts."""
    roadmaps = list(
        Roadmap.objects.for_workspace(workspace)
        .annotate(item_count=Count("items"))
        .order_by("name")
    )
    return render(request, "roadmaps/list.html", page_context(request, roadmaps=roadmaps))


def _timeline_context(
    request: WorkspaceRequest, workspace: Workspace, roadmap: Roadmap, group_by: selectors.GroupBy
) -> dict:
    timeline = selectors.roadmap_timeline(workspace, roadmap, group_by, viewer=request.membership)
    return page_context(
        request,
        roadmap=roadmap,
        view=selectors.timeline_view(timeline),
        group_by=group_by,
        team_url=timeline_url(workspace, roadmap, "team"),
        objective_url=timeline_url(workspace, roadmap, "objective"),
    )


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def roadmap_timeline(
    request: WorkspaceRequest, workspace: Workspace, roadmap_id: int
) -> HttpResponse:
    """Items as bars on a month/quarter grid, grouped by team or by objective (?group=)."""
    roadmap = get_roadmap(workspace, roadmap_id)
    context = _timeline_context(request, workspace, roadmap, _group_by(request.GET.get("group")))
    template = "roadmaps/_timeline.html" if is_partial(request) else "roadmaps/timeline.html"
    return render(request, template, context)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def item_reschedule(
    request: WorkspaceRequest, workspace: Workspace, roadmap_id: int, item_id: int
) -> HttpResponse:
    """New start and target dates for one item; a stale version is refused (409) untouched."""
    roadmap = get_roadmap(workspace, roadmap_id)
    item = get_object_or_404(
        RoadmapItem.objects.visible_to(request.membership).filter(roadmap=roadmap), pk=item_id
    )
    group_by = _group_by(request.POST.get("group"))
    form = RescheduleForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            services.roadmap_item_update(
                actor=request.membership,
                item=item,
                expected_version=form.cleaned_data["version"],
                start_date=form.cleaned_data["start_date"],
                target_date=form.cleaned_data["target_date"],
            )
        except FieldErrors as exc:
            errors = [m for messages_ in exc.fields.values() for m in messages_] or [exc.text]
        else:
            note = f"{item.title} rescheduled."
            if not is_partial(request):
                messages.success(request, note)
                return see_other(timeline_url(workspace, roadmap, group_by))
            context = _timeline_context(request, workspace, roadmap, group_by)
            context["flash_note"] = note
            return render(request, "roadmaps/_timeline.html", context)
    else:
        errors = [f"{e}" for field_errors in form.errors.values() for e in field_errors]
    text = f"{item.title} was not rescheduled: " + " ".join(errors)
    if is_partial(request):
        response = render(request, "_flash.html", {"flash_errors": [text]}, status=422)
        return retarget(response, "#flash")
    messages.error(request, text)
    context = _timeline_context(request, workspace, roadmap, group_by)
    return render(request, "roadmaps/timeline.html", context, status=422)
