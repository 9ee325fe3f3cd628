"""Shaping work from the task page: sub-tasks, parent by key, dependencies, the task picker.

The forms live in their own section (`tasks/_shaping.html`): htmx swaps the section, and each
form also works as a plain POST that answers 303 back to the task page.
"""

from __future__ import annotations

from typing import Any

from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from alignment.errors import DomainError, FieldErrors, StaleVersion
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from tasks import selectors, services
from tasks.models import Task, TaskDependency
from tasks.selectors import get_task
from tasks.shaping import task_picker
from tasks.shaping_forms import DependencyForm, ParentForm, SubtaskForm, shaping_section
from tasks.views._common import is_partial, see_other, task_url, work_context
from tasks.views.task_pages import STALE_MESSAGE, detail_context

SECTION = "tasks/_shaping.html"
PICKER_FIELDS = frozenset({"other", "parent"})


def shaping_context(
    request: WorkspaceRequest, workspace: Workspace, task: Task, **forms: Form
) -> dict[str, Any]:
    detail = selectors.task_detail(workspace, task, viewer=request.membership)
    return {"detail": detail, "task": detail.task, **shaping_section(detail, **forms)}


def _answer(
    request: WorkspaceRequest,
    workspace: Workspace,
    task: Task,
    *,
    anchor: str,
    status: int,
    **forms: Form,
) -> HttpResponse:
    """Success without htmx: 303 to the section. Otherwise the section (htmx) or the whole
    page (no JavaScript, with the errors on the form) at `status`."""
    if status < 300 and not is_partial(request):
        return see_other(task_url("task", workspace, task) + anchor)
    if is_partial(request):
        context = work_context(request, **shaping_context(request, workspace, task, **forms))
        return render(request, SECTION, context, status=status)
    context = detail_context(request, workspace, task, **forms)
    return render(request, "tasks/task_detail.html", context, status=status)


def _refuse(form: Form, exc: DomainError) -> int:
    """A service's refusal shown on the form that caused it; the status to answer with."""
    if isinstance(exc, FieldErrors):
        add_field_errors(form, exc)
        return 422
    form.add_error(None, exc.text)
    return exc.status


def _other_task(request: WorkspaceRequest, form: Form, field: str, key: str) -> Task | None:
    """The task named by key, among those the member may see; else an error on the form
    (a hidden task reads exactly like a missing one)."""
    other = selectors.task_by_key(request.workspace, key, viewer=request.membership)
    if other is None:
        form.add_error(field, f"No task {key} in this workspace.")
    return other


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def subtask_add(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """A sub-task in the task's team, sprint and roadmap item."""
    task = get_task(request, key)
    form = SubtaskForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.task_subtask_create(
                actor=request.membership,
                parent=task,
                title=form.cleaned_data["title"],
                estimate=form.cleaned_data["estimate"],
            )
        except DomainError as exc:
            status = _refuse(form, exc)
        else:
            return _answer(request, workspace, task, anchor="#subtasks", status=200)
    return _answer(request, workspace, task, anchor="#subtasks", status=status, subtask_form=form)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def parent_set(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """Make the task a sub-task of another (by key), or top-level again (empty key)."""
    task = get_task(request, key)
    form = ParentForm(request.POST)
    status = 422
    if form.is_valid():
        parent_key = form.cleaned_data["parent"]
        parent = _other_task(request, form, "parent", parent_key) if parent_key else None
        if not parent_key or parent is not None:
            try:
                services.task_update(
                    actor=request.membership,
                    task=task,
                    expected_version=form.cleaned_data["version"],
                    parent=parent,
                )
            except StaleVersion:
                form.add_error(None, STALE_MESSAGE.format(key=task.key))
                status = 409
            except DomainError as exc:
                status = _refuse(form, exc)
            else:
                return _answer(request, workspace, task, anchor="#subtasks", status=200)
    return _answer(request, workspace, task, anchor="#subtasks", status=status, parent_form=form)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def dependency_add(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """This task is blocked by (or blocks) another; a cycle is refused with its path."""
    task = get_task(request, key)
    form = DependencyForm(request.POST)
    status = 422
    if form.is_valid():
        other = _other_task(request, form, "other", form.cleaned_data["other"])
        if other is not None:
            blocked_by = form.cleaned_data["direction"] == "blocked_by"
            try:
                services.task_dependency_add(
                    actor=request.membership,
                    blocking=other if blocked_by else task,
                    blocked=task if blocked_by else other,
                )
            except DomainError as exc:
                status = _refuse(form, exc)
            else:
                return _answer(request, workspace, task, anchor="#dependencies", status=200)
    return _answer(
        request, workspace, task, anchor="#dependencies", status=status, dependency_form=form
    )


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def dependency_remove(
    request: WorkspaceRequest, workspace: Workspace, key: str, task_dependency_id: int
) -> HttpResponse:
    """Remove a link of this task (either direction); both of its tasks must be visible."""
    task = get_task(request, key)
    links = TaskDependency.objects.visible_to(request.membership)
    dependency = get_object_or_404(
        links.filter(blocking=task) | links.filter(blocked=task), pk=task_dependency_id
    )
    services.task_dependency_remove(actor=request.membership, dependency=dependency)
    return _answer(request, workspace, task, anchor="#dependencies", status=200)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def picker(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Options of the task picker (a listbox): tasks the member may see, by key or title.
    `exclude` names the task being edited, which cannot depend on or parent itself."""
    exclude: list[int] = []
    excluded_key = request.GET.get("exclude", "")
    if excluded_key:
        excluded = selectors.task_by_key(workspace, excluded_key, viewer=request.membership)
        if excluded is None:
            raise Http404("No such task in this workspace.")
        exclude.append(excluded.pk)
    options = task_picker(request.membership, request.GET.get("q", ""), exclude=exclude)
    # The listbox id the options belong to: one of the picker inputs, never free text.
    field = request.GET.get("field", "other")
    context = work_context(
        request, options=options, field=field if field in PICKER_FIELDS else "other"
    )
    return render(request, "tasks/_task_picker_options.html", context)
