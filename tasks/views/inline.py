"""Inline editing of one field of a task (task page and board side panel), and the panel.

One URL per field: GET shows it (`_field.html`), GET .../edit/ gives the form (members only,
a viewer gets 403: no edit form is ever rendered for them), POST saves it through
`task_update` with the version the form started from. A stale save whose field someone else
changed answers 409 with both values (theirs now, yours) and lets the person re-apply theirs
or keep the other; a stale save whose field nobody touched (another field changed) is applied
to the current version, because it overwrites nothing. Nothing is ever saved silently over
another person's value of the same field.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.errors import DomainError, FieldErrors, StaleVersion
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from tasks import selectors, services
from tasks.forms import AlignForm, FieldForm, TaskForm
from tasks.inline_fields import (
    INLINE_FIELDS,
    PANEL_FIELDS,
    InlineField,
    ShownField,
    fingerprint,
    shown_fields,
)
from tasks.markdown import render_markdown
from tasks.models import Task, TaskLabel
from tasks.selectors import get_task
from tasks.views._common import see_other, task_url, work_context
from tasks.views.task_pages import line_context

PLACES = ("page", "panel")


def _spec(field: str) -> InlineField:
    spec = INLINE_FIELDS.get(field)
    if spec is None:
        raise Http404("No such field.")
    return spec


def _place(value: str | None) -> str:
    return value if value in PLACES else "page"


def _fresh(workspace: Workspace, task: Task) -> Task:
    """The task as stored now, with what the fields show."""
    return (
        Task.objects.for_workspace(workspace)
        .select_related("state", "assignee", "sprint", "roadmap_item__roadmap", "team")
        .get(pk=task.pk)
    )


def _can_write(request: WorkspaceRequest) -> bool:
    return request.membership.has_role(Role.MEMBER)


def _initial(task: Task, spec: InlineField) -> dict[str, Any]:
    label_ids = list(TaskLabel.objects.filter(task=task).values_list("label_id", flat=True))
    initial = TaskForm.initial_for(task, label_ids)
    return {
        spec.name: initial[spec.name],
        "version": task.version,
        "original": fingerprint(spec.read(task)),
    }


def field_response(
    request: WorkspaceRequest, task: Task, spec: InlineField, place: str, *, saved: bool = False
) -> HttpResponse:
    """The field as shown (`_field.html`); after a save it tells the page (HX-Trigger) so a
    board can refresh the card."""
    shown = ShownField(spec, spec.show(spec.read(task)), _can_write(request), place)
    response = render(
        request,
        "tasks/_field.html",
        work_context(request, task=task, field=shown, place=place),
    )
    if saved:
        response["HX-Trigger"] = json.dumps(
            {"taskSaved": {"key": task.key, "field": spec.name, "version": task.version}}
        )
    return response


def edit_response(
    request: WorkspaceRequest,
    task: Task,
    spec: InlineField,
    form: FieldForm,
    place: str,
    *,
    status: int = 200,
    conflict: dict[str, Any] | None = None,
) -> HttpResponse:
    context = work_context(
        request, task=task, spec=spec, form=form, bound=form[spec.name], place=place
    )
    context["conflict"] = conflict
    return render(request, "tasks/_field_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_field(
    request: WorkspaceRequest, workspace: Workspace, key: str, field: str
) -> HttpResponse:
    """GET: one field as shown (Escape and "keep theirs" come back here). POST: save it."""
    task = _fresh(workspace, get_task(request, key))
    spec = _spec(field)
    if request.method == "GET":
        return field_response(request, task, spec, _place(request.GET.get("place")))
    form = FieldForm(request.POST, viewer=request.membership, task=task, field=spec.name)
    place = _place(request.POST.get("place"))
    if not form.is_valid():
        return edit_response(request, task, spec, form, place, status=422)
    value = form.cleaned_data[spec.name]
    expected = form.cleaned_data["version"]
    theirs = spec.read(task)
    if fingerprint(value) == fingerprint(theirs):
        # Already so (maybe someone else set the same value): nothing to write, nothing lost.
        if not request.htmx:
            return see_other(task_url("task", workspace, task))
        return field_response(request, task, spec, place, saved=True)
    if expected != task.version and form.cleaned_data["original"] == fingerprint(theirs):
        # Someone changed *other* fields since the form opened; this one is as it was, so
        # saving it on the current version overwrites nobody. The service still compares.
        expected = task.version
    try:
        services.task_update(
            actor=request.membership,
            task=task,
            expected_version=expected,
            **{spec.argument: value},
        )
    except StaleVersion:
        return conflict_response(request, workspace, task, spec, form, place)
    except FieldErrors as exc:
        add_field_errors(form, exc)
        return edit_response(request, task, spec, form, place, status=422)
    except DomainError as exc:
        form.add_error(None, exc.text)
        return edit_response(request, task, spec, form, place, status=exc.status)
    if not request.htmx:
        return see_other(task_url("task", workspace, task))
    fresh = _fresh(workspace, task)
    response = field_response(request, fresh, spec, place, saved=True)
    if spec.name == "roadmap_item" and place == "page":
        # The task page's line to the objectives goes through the roadmap item: redraw it too.
        response.content += line_html(request, workspace, fresh).encode()
    return response


def line_html(request: WorkspaceRequest, workspace: Workspace, task: Task) -> str:
    """The task page's alignment line as an out-of-band swap."""
    line = selectors.alignment_line(workspace, task)
    context = work_context(
        request,
        task=task,
        oob=True,
        align_form=AlignForm(viewer=request.membership, initial={"version": task.version}),
        **line_context(workspace, task, line, request.membership),
    )
    return render_to_string("tasks/_alignment_line.html", context, request=request)


def conflict_response(
    request: WorkspaceRequest,
    workspace: Workspace,
    task: Task,
    spec: InlineField,
    mine: FieldForm,
    place: str,
) -> HttpResponse:
    """409: their value (now) beside yours; the form re-applies yours on the current version."""
    now = _fresh(workspace, task)
    theirs = spec.read(now)
    data = request.POST.copy()
    data["version"] = str(now.version)
    data["original"] = fingerprint(theirs)
    again = FieldForm(data, viewer=request.membership, task=now, field=spec.name)
    again.is_valid()
    conflict = {
        "theirs": spec.show(theirs),
        "yours": spec.show(mine.cleaned_data[spec.name]),
    }
    return edit_response(request, now, spec, again, place, status=409, conflict=conflict)


@require_GET
@workspace_view(read=Role.MEMBER, write=Role.MEMBER, guests=True)
def task_field_edit(
    request: WorkspaceRequest, workspace: Workspace, key: str, field: str
) -> HttpResponse:
    """The edit form of one field: members only (a viewer asking for it directly gets 403)."""
    task = _fresh(workspace, get_task(request, key))
    spec = _spec(field)
    form = FieldForm(
        viewer=request.membership, task=task, field=spec.name, initial=_initial(task, spec)
    )
    return edit_response(request, task, spec, form, _place(request.GET.get("place")))


@require_POST
@workspace_view(read=Role.MEMBER, write=Role.MEMBER, guests=True)
def description_preview(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """The description as it would render (sanitized Markdown), before it is saved."""
    get_task(request, key)
    html = render_markdown(request.POST.get("description", "")[:100_000])
    return render(request, "tasks/_markdown_preview.html", work_context(request, preview_html=html))


def panel_response(request: WorkspaceRequest, workspace: Workspace, task: Task) -> HttpResponse:
    """The board's side panel: every field of the task, each editable in place (members)."""
    fresh = _fresh(workspace, task)
    fields = shown_fields(fresh, PANEL_FIELDS, editable=_can_write(request), place="panel")
    return render(
        request,
        "tasks/_task_panel.html",
        work_context(request, task=fresh, fields=fields, place="panel"),
    )
