"""Roadmap pages that change things: roadmaps, their items, and the items' key result links.

The timeline (views.py) shows where work sits in time; these pages say what a roadmap item
is and which key results it moves, the link that puts tasks on the line up to objectives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from alignment.errors import FieldErrors, StaleVersion
from alignment.http import WorkspaceRequest, add_field_errors, page_context, see_other
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from readmodel.forecasts import forecasts_for
from roadmaps import selectors, services
from roadmaps.forms import KeyResultLinkForm, RoadmapForm, RoadmapItemForm
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemDependency
from roadmaps.views import get_roadmap, timeline_url
from tasks.models import Task

TASKS_SHOWN = 50
STALE = (
    "{what} was changed by someone else since you opened it. Nothing was saved: reload to "
    "see their changes, then make yours again."
)


def get_item(request: WorkspaceRequest, roadmap: Roadmap, item_id: int) -> RoadmapItem:
    """An item of the roadmap the member may see (a private team's: 404 to non-members)."""
    items = RoadmapItem.objects.visible_to(request.membership).filter(roadmap=roadmap)
    return get_object_or_404(items.select_related("owner_team", "roadmap"), pk=item_id)


def item_url(workspace: Workspace, item: RoadmapItem) -> str:
    return reverse(
        "roadmaps:item",
        kwargs={"slug": workspace.slug, "roadmap_id": item.roadmap_id, "item_id": item.pk},
    )


def _form_page(
    request: WorkspaceRequest, template: str, form: forms.Form, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        template,
        page_context(request, form=form, stale=status == 409, **extra),
        status=status,
    )


# ---- roadmaps -----------------------------------------------------------------------------


def _submit(
    request: WorkspaceRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], Any],
    *,
    what: str,
    done: Callable[[Any], tuple[str, str]],
) -> tuple[HttpResponse | None, int]:
    """Validate, save through the service, and say how it went.

    Returns the redirect after a save (with `done(result)` = (message, next url)), or None
    and the status to render the form with: 200 to show it, 422 for bad input, 409 when the
    object changed since it was loaded (nothing is saved over someone else's change).
    """
    if request.method != "POST":
        return None, 200
    if not form.is_valid():
        return None, 422
    try:
        result = save(form.cleaned_data)
    except StaleVersion:
        form.add_error(None, STALE.format(what=what))
        return None, 409
    except FieldErrors as exc:
        add_field_errors(form, exc)
        return None, 422
    message, next_url = done(result)
    messages.success(request, message)
    return see_other(next_url), 200


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def roadmap_new(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    form = RoadmapForm(request.POST or None)
    redirect, status = _submit(
        request,
        form,
        lambda data: services.roadmap_create(
            actor=request.membership, name=data["name"], description=data["description"]
        ),
        what="This roadmap",
        done=lambda roadmap: (
            f"Roadmap {roadmap.name} created. Add its first item.",
            timeline_url(workspace, roadmap),
        ),
    )
    return redirect or _form_page(request, "roadmaps/roadmap_form.html", form, status)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def roadmap_edit(request: WorkspaceRequest, workspace: Workspace, roadmap_id: int) -> HttpResponse:
    roadmap = get_roadmap(workspace, roadmap_id)
    initial = {"name": roadmap.name, "description": roadmap.description, "version": roadmap.version}
    form = RoadmapForm(request.POST or None, initial=initial, editing=True)
    redirect, status = _submit(
        request,
        form,
        lambda data: services.roadmap_update(
            actor=request.membership,
            roadmap=roadmap,
            expected_version=data["version"],
            name=data["name"],
            description=data["description"],
        ),
        what="This roadmap",
        done=lambda saved: (f"Roadmap {saved.name} saved.", timeline_url(workspace, saved)),
    )
    return redirect or _form_page(
        request, "roadmaps/roadmap_form.html", form, status, roadmap=roadmap
    )


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def roadmap_delete(
    request: WorkspaceRequest, workspace: Workspace, roadmap_id: int
) -> HttpResponse:
    roadmap = get_roadmap(workspace, roadmap_id)
    services.roadmap_delete(actor=request.membership, roadmap=roadmap)
    messages.success(request, f"Roadmap {roadmap.name} deleted; its tasks are now unaligned work.")
    return see_other(reverse("roadmaps:list", kwargs={"slug": workspace.slug}))


# ---- items --------------------------------------------------------------------------------


ITEM_FIELDS = (
    "title",
    "kind",
    "status",
    "owner_team",
    "start_date",
    "target_date",
    "description",
)


def _item_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in ITEM_FIELDS}


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def item_new(request: WorkspaceRequest, workspace: Workspace, roadmap_id: int) -> HttpResponse:
    roadmap = get_roadmap(workspace, roadmap_id)
    form = RoadmapItemForm(request.POST or None, viewer=request.membership)
    redirect, status = _submit(
        request,
        form,
        lambda data: services.roadmap_item_create(
            actor=request.membership, roadmap=roadmap, **_item_fields(data)
        ),
        what="This item",
        done=lambda item: (
            f"{item.title} added. Link it to the key results it moves.",
            item_url(workspace, item),
        ),
    )
    return redirect or _form_page(request, "roadmaps/item_form.html", form, status, roadmap=roadmap)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def item_edit(
    request: WorkspaceRequest, workspace: Workspace, roadmap_id: int, item_id: int
) -> HttpResponse:
    roadmap = get_roadmap(workspace, roadmap_id)
    item = get_item(request, roadmap, item_id)
    initial = {name: getattr(item, name) for name in ITEM_FIELDS}
    initial["version"] = item.version
    form = RoadmapItemForm(
        request.POST or None, initial=initial, viewer=request.membership, editing=True
    )
    redirect, status = _submit(
        request,
        form,
        lambda data: services.roadmap_item_update(
            actor=request.membership,
            item=item,
            expected_version=data["version"],
            **_item_fields(data),
        ),
        what="This item",
        done=lambda saved: (f"{saved.title} saved.", item_url(workspace, saved)),
    )
    return redirect or _form_page(
        request, "roadmaps/item_form.html", form, status, roadmap=roadmap, item=item
    )


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def item_delete(
    request: WorkspaceRequest, workspace: Workspace, roadmap_id: int, item_id: int
) -> HttpResponse:
    roadmap = get_roadmap(workspace, roadmap_id)
    item = get_item(request, roadmap, item_id)
    services.roadmap_item_delete(actor=request.membership, item=item)
    messages.success(request, f"{item.title} deleted; its tasks are now unaligned work.")
    return see_other(timeline_url(workspace, roadmap))


def _item_context(
    request: WorkspaceRequest, workspace: Workspace, item: RoadmapItem, link_form: forms.Form
) -> dict[str, Any]:
    links = list(
        KeyResultLink.objects.for_workspace(workspace)
        .filter(item=item)
        .select_related("key_result__objective__period")
        .order_by("key_result__objective__title", "key_result__title")
    )
    # Progress, health and the counts behind them: the item's read-model row, the same one
    # the timeline, the task alignment line and the key results it feeds read.
    measured = selectors.ItemProgress(selectors.item_rows(workspace, [item.pk]).get(item.pk))
    # Open work first; one more than shown says whether the list goes on.
    # The item's counts (above) include a private team's work; its tasks' titles do not show.
    tasks = list(
        Task.objects.visible_to(request.membership)
        .filter(roadmap_item=item)
        .select_related("team", "state", "assignee")
        .order_by(F("completed_at").asc(nulls_first=True), "rank", "pk")[: TASKS_SHOWN + 1]
    )
    dependencies = RoadmapItemDependency.objects.visible_to(request.membership).select_related(
        "blocking", "blocked"
    )
    return page_context(
        request,
        roadmap=item.roadmap,
        item=item,
        links=links,
        measured=measured,
        forecast=forecasts_for(workspace.pk, {"roadmap_item": [item.pk]}).get(
            ("roadmap_item", item.pk)
        ),
        blocked_by=[d.blocking for d in dependencies.filter(blocked=item)],
        blocks=[d.blocked for d in dependencies.filter(blocking=item)],
        link_form=link_form,
        tasks=tasks[:TASKS_SHOWN],
        more_tasks=len(tasks) > TASKS_SHOWN,
    )


@require_http_methods(["GET"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def item_detail(
    request: WorkspaceRequest, workspace: Workspace, roadmap_id: int, item_id: int
) -> HttpResponse:
    """What the item is, which key results it moves (with weights) and how its work stands."""
    item = get_item(request, get_roadmap(workspace, roadmap_id), item_id)
    context = _item_context(request, workspace, item, KeyResultLinkForm(workspace=workspace))
    return render(request, "roadmaps/item_detail.html", context)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def item_link(
    request: WorkspaceRequest, workspace: Workspace, roadmap_id: int, item_id: int
) -> HttpResponse:
    """Link the item to a key result, or change the weight of an existing link."""
    item = get_item(request, get_roadmap(workspace, roadmap_id), item_id)
    form = KeyResultLinkForm(request.POST, workspace=workspace)
    if form.is_valid():
        try:
            services.roadmap_item_link_key_result(
                actor=request.membership,
                item=item,
                key_result=form.cleaned_data["key_result"],
                weight=form.cleaned_data["weight"],
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            kr = form.cleaned_data["key_result"]
            messages.success(request, f"{item.title} now counts towards “{kr.title}”.")
            return see_other(item_url(workspace, item))
    context = _item_context(request, workspace, item, form)
    return render(request, "roadmaps/item_detail.html", context, status=422)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def item_unlink(
    request: WorkspaceRequest, workspace: Workspace, roadmap_id: int, item_id: int, link_id: int
) -> HttpResponse:
    item = get_item(request, get_roadmap(workspace, roadmap_id), item_id)
    link = get_object_or_404(
        KeyResultLink.objects.for_workspace(workspace)
        .filter(item=item)
        .select_related("key_result"),
        pk=link_id,
    )
    services.roadmap_item_unlink_key_result(
        actor=request.membership, item=item, key_result=link.key_result
    )
    messages.success(request, f"{item.title} no longer counts towards “{link.key_result.title}”.")
    return see_other(item_url(workspace, item))
