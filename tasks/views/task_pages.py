"""The task page (with its alignment line), edit and new-task forms, duplicates, comments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from alignment.errors import DomainError, FieldErrors, StaleVersion
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Membership, Role, Team, Workspace
from alignment.tenancy import workspace_view
from tasks import page_selectors, selectors, services
from tasks.forms import AlignForm, CommentForm, OtherTaskForm, TaskForm, open_items_of
from tasks.inline_fields import PANEL_FIELDS, SIDE_FIELDS, shown_fields
from tasks.models import Task, TaskLabel
from tasks.selectors import get_task
from tasks.shaping_forms import shaping_section
from tasks.similarity import similar_open_tasks
from tasks.views._common import (
    int_param,
    is_partial,
    see_other,
    task_url,
    work_context,
)

STALE_MESSAGE = (
    "{key} was changed by someone else since you opened it. Nothing was saved: reload to "
    "see their changes, then make yours again."
)
SIMILAR_LIMIT = 5


def line_context(
    workspace: Workspace, task: Task, line: selectors.AlignmentLine, viewer: Membership
) -> dict:
    """The alignment line as rows the template walks: each KR with its objective chain.
    A guest's line stops at the roadmap item and says how many key results it moves: key
    results and objectives are company-wide pages a guest may not open (docs/teams.md)."""
    if viewer.is_guest:
        return {"line": line, "line_rows": [], "hidden_key_results": len(line.key_results)}
    objectives = [step.obj for chain in line.objectives.values() for step in chain]
    page_selectors.attach_workspace(objectives, workspace)
    rows = [(step, line.objectives.get(step.obj.pk, [])) for step in line.key_results]
    return {"line": line, "line_rows": rows}


def detail_context(
    request: WorkspaceRequest, workspace: Workspace, task: Task, **shaping_forms: Form
) -> dict[str, Any]:
    """The task page; `shaping_forms` are bound forms of its shaping section (errors)."""
    detail = selectors.task_detail(workspace, task, viewer=request.membership)
    fresh = detail.task
    similar = (
        []
        if fresh.is_closed
        else similar_open_tasks(
            workspace,
            fresh.title,
            exclude_id=fresh.pk,
            limit=SIMILAR_LIMIT,
            viewer=request.membership,
        )
    )
    fields = shown_fields(
        fresh, PANEL_FIELDS, editable=request.membership.has_role(Role.MEMBER), place="page"
    )
    return work_context(
        request,
        task=fresh,
        fields=fields,
        side_fields={name: fields[name] for name in SIDE_FIELDS},
        detail=detail,
        history=page_selectors.history_rows(workspace, detail.events),
        links=page_selectors.external_links(fresh),
        similar=similar,
        comment_form=CommentForm(),
        align_form=AlignForm(viewer=request.membership, initial={"version": fresh.version}),
        **line_context(workspace, fresh, detail.line, request.membership),
        **shaping_section(detail, **shaping_forms),
    )


def _is_merged_key(workspace: Workspace, key: str) -> bool:
    """True when `key` is a merged task's own key (a tombstone), not a move's old key."""
    return (
        Task.all_objects.for_workspace(workspace).with_key(key).exclude(merged_into=None).exists()
    )


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_detail(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """Everything about a task and its line up to the objectives; old keys redirect."""
    task = get_task(request, key)
    if key != task.key:
        if _is_merged_key(workspace, key):
            messages.info(request, f"{key.upper()} was merged into {task.key}.")
        return HttpResponseRedirect(task_url("task", workspace, task))
    return render(request, "tasks/task_detail.html", detail_context(request, workspace, task))


def _service_fields(form: TaskForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    data.pop("team", None)
    return data


def _form_refusal(form: TaskForm, exc: DomainError) -> int:
    """Put a service's refusal on the form; the status to answer with."""
    if isinstance(exc, FieldErrors):
        add_field_errors(form, exc)
        return 422
    form.add_error(None, exc.text)
    return exc.status


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_edit(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """Edit every field; the hidden version makes a stale save a clear refusal (409)."""
    task = get_task(request, key)
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST, viewer=request.membership, task=task)
        if form.is_valid():
            data = _service_fields(form)
            labels = data.pop("labels")
            try:
                services.task_update(
                    actor=request.membership,
                    task=task,
                    expected_version=form.cleaned_data["version"],
                    labels=labels,
                    **data,
                )
            except StaleVersion:
                form.add_error(None, STALE_MESSAGE.format(key=task.key))
                status = 409
            except DomainError as exc:
                status = _form_refusal(form, exc)
            else:
                messages.success(request, f"{task.key} saved.")
                return see_other(task_url("task", workspace, task))
        else:
            status = 422
    else:
        label_ids = list(TaskLabel.objects.filter(task=task).values_list("label_id", flat=True))
        form = TaskForm(
            viewer=request.membership, task=task, initial=TaskForm.initial_for(task, label_ids)
        )
    return render(
        request,
        "tasks/task_form.html",
        work_context(request, task=task, form=form),
        status=status,
    )


def new_task_initial(request: WorkspaceRequest) -> dict[str, Any]:
    """The new-task form's starting values from the link that opened it: `?team=` (a board),
    or `?roadmap_item=` (a roadmap item's "Add a task"), whose owner team is then the default.
    Only what the member may see is taken; anything else is ignored, not an error."""
    teams = Team.objects.visible_to(request.membership)
    item_id = int_param(request.GET.get("roadmap_item"))
    item = open_items_of(request.membership).filter(pk=item_id).first() if item_id else None
    team_id = int_param(request.GET.get("team")) or (item.owner_team_id if item else None)
    team = teams.filter(pk=team_id).first() if team_id else None
    return {"team": team.pk if team else None, "roadmap_item": item.pk if item else None}


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER, guests=True)
def task_new(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Create a task; typing the title shows similar open tasks (possible duplicates)."""
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST, viewer=request.membership)
        if form.is_valid():
            data = _service_fields(form)
            try:
                task = services.task_create(
                    actor=request.membership, team=form.cleaned_data["team"], **data
                )
            except DomainError as exc:
                status = _form_refusal(form, exc)
            else:
                messages.success(request, f"{task.key} created.")
                return see_other(task_url("task", workspace, task))
        else:
            status = 422
    else:
        form = TaskForm(viewer=request.membership, initial=new_task_initial(request))
    similar = (
        similar_open_tasks(
            workspace,
            request.POST.get("title", ""),
            limit=SIMILAR_LIMIT,
            viewer=request.membership,
        )
        if request.method == "POST"
        else []
    )
    return render(
        request,
        "tasks/task_form.html",
        work_context(request, task=None, form=form, similar=similar),
        status=status,
    )


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def similar_tasks(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The duplicate warning: open tasks across the workspace with a similar title."""
    title = request.POST.get("title", "")[:255]
    similar = similar_open_tasks(workspace, title, limit=SIMILAR_LIMIT, viewer=request.membership)
    return render(request, "tasks/_similar.html", work_context(request, similar=similar))


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def comment_add(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """Comment on the task; @mentions of members are kept."""
    task = get_task(request, key)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.task_comment_add(
                actor=request.membership, task=task, body=form.cleaned_data["body"]
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            if not is_partial(request):
                return see_other(task_url("task", workspace, task) + "#comments")
            form = CommentForm()
    status = 422 if form.errors else 200
    if not is_partial(request):
        context = detail_context(request, workspace, task)
        context["comment_form"] = form
        return render(request, "tasks/task_detail.html", context, status=status)
    detail = selectors.task_detail(workspace, task, viewer=request.membership)
    context = work_context(request, task=detail.task, detail=detail, comment_form=form)
    return render(request, "tasks/_comments.html", context, status=status)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_align(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """Link an unaligned task to a roadmap item in one click; answers the new line."""
    task = get_task(request, key)
    form = AlignForm(request.POST, viewer=request.membership)
    if form.is_valid():
        try:
            services.task_update(
                actor=request.membership,
                task=task,
                expected_version=form.cleaned_data["version"],
                roadmap_item=form.cleaned_data["roadmap_item"],
            )
        except StaleVersion as exc:
            raise StaleVersion(STALE_MESSAGE.format(key=task.key)) from exc
        if not is_partial(request):
            messages.success(request, f"{task.key} is now aligned.")
            return see_other(task_url("task", workspace, task))
        fresh = selectors.tasks_shaped(workspace).get(pk=task.pk)
        form = AlignForm(viewer=request.membership, initial={"version": fresh.version})
        status = 200
    else:
        fresh, status = task, 422
    if not is_partial(request):
        context = detail_context(request, workspace, task)
        context["align_form"] = form
        return render(request, "tasks/task_detail.html", context, status=status)
    line = selectors.alignment_line(workspace, fresh)
    context = work_context(
        request,
        task=fresh,
        align_form=form,
        **line_context(workspace, fresh, line, request.membership),
    )
    return render(request, "tasks/_alignment_line.html", context, status=status)


def _other(workspace: Workspace, request: WorkspaceRequest) -> Task:
    form = OtherTaskForm(request.POST)
    if not form.is_valid():
        raise FieldErrors(
            {"other": "Name the other task by its key."}, "Name the other task by its key."
        )
    return get_task(request, form.cleaned_data["other"])


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def not_duplicate(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """Stop suggesting the other task as a duplicate of this one."""
    task = get_task(request, key)
    other = _other(workspace, request)
    services.task_mark_not_duplicate(actor=request.membership, task=task, other=other)
    messages.success(request, f"{other.key} will not be suggested as a duplicate again.")
    return see_other(task_url("task", workspace, task) + "#duplicates")


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_merge(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """Merge this task into the other: comments and links move, this key becomes an alias."""
    task = get_task(request, key)
    into = _other(workspace, request)
    source_key = task.key
    services.task_merge(actor=request.membership, source=task, into=into)
    messages.success(request, f"{source_key} was merged into {into.key}; its key now leads here.")
    location = task_url("task", workspace, into)
    if is_partial(request):
        return HttpResponseClientRedirect(location)
    return see_other(location)
