"""The backlog (rank order, keyset pages, bulk actions, drag to reorder) and sprint planning."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Team, Workspace
from alignment.parsing import is_digits
from alignment.tenancy import workspace_view
from tasks import page_selectors, selectors, services, undo
from tasks.cards import CardRenderer
from tasks.forms import BulkForm, CapacityForm
from tasks.models import Task
from tasks.search_query import task_order
from tasks.services.bulk import MAX_BULK
from tasks.services.rules import UNSET
from tasks.views._common import (
    get_team,
    int_param,
    is_partial,
    see_other,
    url,
    work_context,
)
from tasks.views._undo import undo_toast_from_query
from tasks.views.board import (
    can_write,
    choices_if_wanted,
    filter_query,
    filters_from,
    filters_response,
)

UNDO_FIELDS = {"sprint": "sprint", "assign": "assignee", "label": "labels", "estimate": "estimate"}
BULK_DONE = {
    "sprint": "Moved {n} task(s) to {value}.",
    "assign": "Assigned {n} task(s) to {value}.",
    "label": "Labelled {n} task(s) {value}.",
    "estimate": "Set {n} task(s) to {value} points.",
}


def backlog_context(
    request: WorkspaceRequest, workspace: Workspace, team: Team, **extra: Any
) -> dict[str, Any]:
    filters = filters_from(request)
    size = int_param(request.GET.get("size")) or page_selectors.BACKLOG_PAGE
    parsed = filter_query(request)
    page = page_selectors.backlog_page(
        workspace,
        team,
        after=request.GET.get("after", ""),
        size=size,
        filters=filters,
        order=task_order(parsed, viewer=request.membership) if parsed else (),
    )
    renderer = CardRenderer(
        workspace,
        can_write=can_write(request),
        facts=page_selectors.card_facts(workspace, page.tasks),
        okrs_hidden=request.membership.is_guest,
    )
    query = request.GET.copy()
    for name in ("after", "part"):
        query.pop(name, None)
    return work_context(
        request,
        team=team,
        page=page,
        rows_html=renderer.rows(page.tasks),
        filters=filters,
        filter_query=query.urlencode(),
        filter_sprint=None,
        choices=choices_if_wanted(request, workspace, filters),
        list_url=url("backlog", workspace, team_id=team.pk),
        **extra,
    )


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def backlog(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Open tasks in no sprint, in rank order; "load more" follows a keyset cursor;
    `?part=filters` answers the filter form with its choices (loaded on first use)."""
    team = get_team(request, team_id)
    list_url = url("backlog", workspace, team_id=team.pk)
    if is_partial(request) and request.GET.get("part") == "filters":
        return filters_response(request, workspace, list_url=list_url, list_target="#backlog")
    try:
        context = backlog_context(request, workspace, team)
    except page_selectors.BadCursor:
        return HttpResponseBadRequest("That page cursor is not valid; start from the first page.")
    if is_partial(request):
        template = "tasks/_backlog_rows.html" if request.GET.get("after") else "tasks/_backlog.html"
        return render(request, template, context)
    bulk_form = BulkForm(workspace=workspace, team=team)
    if context["can"]["write"]:
        bulk_form.show_choices()
    context["bulk_form"] = bulk_form
    context["undo_toast"] = mark_safe(undo_toast_from_query(request, workspace))  # noqa: S308
    return render(request, "tasks/backlog.html", context)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def backlog_bulk(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Move the checked tasks to a sprint, assign, label or estimate them: all or nothing."""
    team = get_team(request, team_id)
    form = BulkForm(request.POST, workspace=workspace, team=team)
    raw_ids = request.POST.getlist("tasks")
    if not all(is_digits(v) for v in raw_ids):
        form.add_error(None, "The selection was not understood; reload and select again.")
    if form.is_valid():
        data = form.cleaned_data
        action = data["action"]
        changes: dict[str, Any] = {
            "sprint": UNSET,
            "assignee": UNSET,
            "estimate": UNSET,
            "add_labels": (),
        }
        if action == "sprint":
            changes["sprint"], value = data["sprint"], data["sprint"].name
        elif action == "assign":
            changes["assignee"] = data["assignee"]
            value = data["assignee"].display_name if data["assignee"] else "nobody"
        elif action == "label":
            changes["add_labels"], value = [data["label"]], data["label"].name
        else:
            changes["estimate"], value = data["estimate"], str(data["estimate"])
        ids = [int(v) for v in raw_ids][: MAX_BULK + 1]
        was = undo.snapshot(
            list(Task.objects.for_workspace(workspace).filter(pk__in=ids, team=team)),
            (UNDO_FIELDS[action],),
        )
        try:
            tasks = services.task_bulk_update(
                actor=request.membership,
                task_ids=[int(v) for v in raw_ids],
                team=team,  # this backlog's tasks only
                **changes,
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            # The toast says what happened and offers Undo (tasks.undo), in place of a message.
            message = BULK_DONE[action].format(n=len(tasks), value=value)
            raw = undo.token(request.membership, tasks, was, message)
            return see_other(url("backlog", workspace, team_id=team.pk) + f"?undo={raw}")
    context = backlog_context(request, workspace, team, bulk_form=form)
    return render(request, "tasks/backlog.html", context, status=422)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def sprint_planning(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Capacity vs committed points per person for the next sprint (or ?sprint=<id>)."""
    team = get_team(request, team_id)
    sprints = page_selectors.open_sprints(workspace, team)
    wanted = int_param(request.GET.get("sprint") or request.POST.get("sprint"))
    sprint = (
        next((s for s in sprints if s.pk == wanted), None)
        if wanted
        else page_selectors.next_sprint(workspace, team)
    )
    if wanted and sprint is None:
        return HttpResponseBadRequest("That sprint is not an open sprint of this team.")
    form = CapacityForm(workspace=workspace, team=team)
    status = 200
    if request.method == "POST":
        form = CapacityForm(request.POST, workspace=workspace, team=team)
        if sprint is None:
            form.add_error(None, "Plan a sprint first: there is no open sprint to plan.")
        elif form.is_valid():
            try:
                services.sprint_set_capacity(
                    actor=request.membership,
                    sprint=sprint,
                    user=form.cleaned_data["user"],
                    points=form.cleaned_data["points"],
                )
            except FieldErrors as exc:
                add_field_errors(form, exc)
            else:
                messages.success(
                    request, f"Capacity of {form.cleaned_data['user'].display_name} saved."
                )
                return see_other(
                    url("planning", workspace, team_id=team.pk) + f"?sprint={sprint.pk}"
                )
        status = 422
    loads = selectors.sprint_planning(workspace, sprint) if sprint else []
    scale = max([1.0] + [float(max(x.committed, x.capacity or 0)) for x in loads])
    rows = [
        {
            "load": load,
            "committed_w": round(float(load.committed) / scale * 100, 2),
            "capacity_x": round(float(load.capacity) / scale * 100, 2)
            if load.capacity is not None
            else None,
        }
        for load in loads
    ]
    context = work_context(
        request,
        team=team,
        sprint=sprint,
        sprints=sprints,
        rows=rows,
        total_committed=sum(load.committed for load in loads),
        total_capacity=sum(load.capacity or 0 for load in loads),
        form=form,
    )
    return render(request, "tasks/planning.html", context, status=status)
