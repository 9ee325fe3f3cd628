"""Saved views in the browser: the list (active views, then archived ones, and the form to save
one), a view as a board, a list or a table, its edit form, archive, restore and delete. Also
the palette's list of views (htmx partial)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from alignment import keyset
from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from tasks import page_selectors
from tasks.cards import CardRenderer
from tasks.saved_views import selectors, services
from tasks.saved_views.forms import SavedViewForm
from tasks.saved_views.models import SavedView, ViewLayout
from tasks.search_query import QUALIFIERS, SearchQueryInvalid
from tasks.views._common import (
    is_partial,
    parse_version,
    see_other,
    url,
    work_context,
)


def get_view(request: WorkspaceRequest, saved_view_id: int) -> SavedView:
    """A view the member may open; anyone else's personal view is 404, like a missing one."""
    return get_object_or_404(
        SavedView.objects.visible_to(request.membership).select_related("team", "owner"),
        pk=saved_view_id,
    )


def _create(request: WorkspaceRequest, form: SavedViewForm) -> SavedView | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.saved_view_create(
            actor=request.membership,
            name=data["name"],
            query=data["query"],
            scope=data["scope"],
            team=data["team"],
            layout=data["layout"],
        )
    except FieldErrors as exc:
        add_field_errors(form, exc)
        return None


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def saved_view_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Every view the member may open, and the form that saves a new one (?q= fills it from a
    search). With HX-Request and ?part=palette, just the links (the command palette)."""
    views = selectors.views_for(request.membership)
    if request.method == "GET" and is_partial(request) and request.GET.get("part") == "palette":
        return render(
            request, "tasks/saved_views/_palette.html", work_context(request, views=views)
        )
    status = 200
    if request.method == "POST":
        form = SavedViewForm(request.POST, viewer=request.membership)
        view = _create(request, form)
        if view is not None:
            return see_other(url("saved_view", workspace, saved_view_id=view.pk))
        status = 422
    else:
        form = SavedViewForm(
            viewer=request.membership,
            initial={"query": request.GET.get("q", "")[:200]},
        )
    archived = selectors.views_for(request.membership, archived=True)
    context = work_context(
        request,
        views=_rows(request, views),
        archived_views=_rows(request, archived),
        form=form,
        qualifiers=QUALIFIERS,
    )
    return render(request, "tasks/saved_views/list.html", context, status=status)


def _rows(request: WorkspaceRequest, views: list[SavedView]) -> list[tuple[SavedView, str, bool]]:
    return [
        (v, selectors.scope_label(v), services.may_change(request.membership, v)) for v in views
    ]


def _layout(request: WorkspaceRequest, view: SavedView) -> str:
    wanted = request.GET.get("as", "")
    return wanted if wanted in ViewLayout.values else view.layout


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def saved_view_detail(
    request: WorkspaceRequest, workspace: Workspace, saved_view_id: int
) -> HttpResponse:
    """The view's tasks: ?as=board|list|table (default: the view's layout); the list and the
    table sort by ?sort=<column> (or -<column>) and page with ?cursor= (keyset)."""
    view = get_view(request, saved_view_id)
    layout = _layout(request, view)
    context: dict[str, Any] = {
        "view": view,
        "layout": layout,
        "layouts": ViewLayout.choices,
        "scope": selectors.scope_label(view),
        "may_change": services.may_change(request.membership, view),
        "error": "",
    }
    try:
        tasks = selectors.view_tasks(view, viewer=request.membership)
        _fill(request, workspace, layout, tasks, context)
    except SearchQueryInvalid as exc:
        # A label or state named by the query was renamed or deleted since it was saved.
        context["error"] = exc.text
    except keyset.BadCursor as exc:
        return HttpResponseBadRequest(f"{exc} Open the view again from its first page.")
    template = (
        "tasks/saved_views/_tasks.html" if is_partial(request) else "tasks/saved_views/detail.html"
    )
    return render(request, template, work_context(request, **context))


def _fill(
    request: WorkspaceRequest,
    workspace: Workspace,
    layout: str,
    tasks: Any,
    context: dict[str, Any],
) -> None:
    """The tasks laid out as asked: columns of cards, rows, or a sorted page of the table."""
    if layout == ViewLayout.BOARD:
        columns = selectors.board_columns(tasks)
        shown = [t for c in columns for t in c.tasks]
        renderer = _renderer(request, workspace, shown)
        for column in columns:
            column.cards_html = renderer.cards(column.tasks)
        context["columns"] = columns
        return
    sort, descending = selectors.parse_sort(request.GET.get("sort"))
    page = selectors.table_page(
        tasks,
        view=context["view"],
        sort=sort,
        descending=descending,
        cursor=request.GET.get("cursor", ""),
    )
    context.update(page=page, sort=sort, descending=descending)
    if layout == ViewLayout.LIST:
        context["rows_html"] = _renderer(request, workspace, page.tasks).rows(page.tasks)
    else:
        page_selectors.decorate_cards(workspace, page.tasks)
        context["columns_sortable"] = [
            (name, label, name == sort)
            for name, label in (
                ("key", "Key"),
                ("title", "Title"),
                ("state", "State"),
                ("assignee", "Assignee"),
                ("priority", "Priority"),
                ("points", "Points"),
                ("due", "Due"),
                ("updated", "Updated"),
            )
        ]


def _renderer(request: WorkspaceRequest, workspace: Workspace, tasks: list) -> CardRenderer:
    # Cards of a view are not dragged (its columns are categories, not a team's states), but
    # the card shortcuts (board.js) still change a focused task.
    return CardRenderer.for_page(
        workspace,
        tasks,
        can_write=False,
        facts=page_selectors.card_facts(workspace, tasks),
        okrs_hidden=request.membership.is_guest,
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def saved_view_edit(
    request: WorkspaceRequest, workspace: Workspace, saved_view_id: int
) -> HttpResponse:
    """Rename, change the filter, share or unshare (owner; an admin too for a shared view)."""
    view = get_view(request, saved_view_id)
    if not services.may_change(request.membership, view):
        # Viewers of a shared view get its details, never a form (the POST is refused too).
        if request.method == "POST":
            services.saved_view_update(actor=request.membership, view=view)  # raises 403
        context = work_context(request, view=view, form=None, qualifiers=QUALIFIERS)
        return render(request, "tasks/saved_views/edit.html", context)
    status = 200
    if request.method == "POST":
        form = SavedViewForm(request.POST, viewer=request.membership)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.saved_view_update(
                    actor=request.membership,
                    view=view,
                    expected_version=data["version"],
                    name=data["name"],
                    query=data["query"],
                    scope=data["scope"],
                    team=data["team"],
                    layout=data["layout"],
                )
            except FieldErrors as exc:
                add_field_errors(form, exc)
            else:
                return see_other(url("saved_view", workspace, saved_view_id=view.pk))
        status = 422
    else:
        form = SavedViewForm(
            viewer=request.membership,
            initial={
                "name": view.name,
                "query": view.query,
                "layout": view.layout,
                "scope": view.scope,
                "team": view.team_id,
                "version": view.version,
            },
        )
    context = work_context(request, view=view, form=form, qualifiers=QUALIFIERS)
    return render(request, "tasks/saved_views/edit.html", context, status=status)


def _versioned_write(
    request: WorkspaceRequest, saved_view_id: int, write: Callable[..., object]
) -> SavedView:
    """Run `write` (delete, archive, restore) on the view from the URL and return the view.

    The forms send the version the page showed: a change made since is refused (409)."""
    view = get_view(request, saved_view_id)
    write(
        actor=request.membership,
        view=view,
        expected_version=parse_version(request.POST.get("version")),
    )
    return view


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def saved_view_delete(
    request: WorkspaceRequest, workspace: Workspace, saved_view_id: int
) -> HttpResponse:
    """Delete for good (the page asks first); back to the views list."""
    _versioned_write(request, saved_view_id, services.saved_view_delete)
    return see_other(url("saved_views", workspace))


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def saved_view_archive(
    request: WorkspaceRequest, workspace: Workspace, saved_view_id: int
) -> HttpResponse:
    """Archive: the view moves to the list's archived section."""
    view = _versioned_write(request, saved_view_id, services.saved_view_archive)
    return see_other(url("saved_views", workspace) + f"#archived-view-{view.pk}")


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.VIEWER, guests=True)
def saved_view_restore(
    request: WorkspaceRequest, workspace: Workspace, saved_view_id: int
) -> HttpResponse:
    """Restore an archived view; back to the list, where it is active again."""
    view = _versioned_write(request, saved_view_id, services.saved_view_restore)
    return see_other(url("saved_views", workspace) + f"#view-{view.pk}")
