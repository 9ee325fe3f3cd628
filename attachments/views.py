"""Attachment pages under /w/<slug>/: a task's files (list, upload), download, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.http import WorkspaceRequest, see_other
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from attachments import selectors, services
from attachments.errors import UploadRefused
from attachments.models import Attachment
from attachments.serving import download_response
from tasks import selectors as task_selectors
from tasks.models import Task


def _task(request: WorkspaceRequest, workspace: Workspace, key: str) -> Task:
    task = task_selectors.task_by_key(workspace, key, viewer=request.membership)
    if task is None:
        raise Http404("No such task in this workspace.")
    return task


def _attachment(request: WorkspaceRequest, workspace: Workspace, attachment_id: int) -> Attachment:
    attachment = selectors.attachment_in(workspace, attachment_id, viewer=request.membership)
    if attachment is None:
        raise Http404("No such file in this workspace.")
    return attachment


def _task_page(workspace: Workspace, task: Task) -> str:
    return reverse("tasks:task", kwargs={"slug": workspace.slug, "key": task.key}) + "#attachments"


def section_context(request: WorkspaceRequest, task: Task, **extra: Any) -> dict[str, Any]:
    """What the attachments section of a task page needs."""
    membership = request.membership
    return {
        "workspace": request.workspace,
        "task": task,
        "attachments": list(selectors.task_attachments(request.workspace, task)),
        "can_upload": membership.has_role(Role.MEMBER),
        "can_delete_any": membership.has_role(Role.ADMIN),
        "me_id": membership.user_id,
        "limits": services.upload_limits(),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def task_attachments(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """The task's files (the section of its page); POST uploads one or more."""
    task = _task(request, workspace, key)
    if request.method == "GET":
        if not request.htmx:
            return see_other(_task_page(workspace, task))
        return render(request, "attachments/_attachments.html", section_context(request, task))
    try:
        services.check_upload_length(request.META.get("CONTENT_LENGTH"))
        files = request.FILES.getlist("files")
        added = services.attachments_add(actor=request.membership, task=task, files=files)
    except UploadRefused as exc:
        context = section_context(request, task, upload_error=exc.text)
        template = "attachments/_attachments.html" if request.htmx else "attachments/refused.html"
        return render(request, template, context, status=exc.status)
    if request.htmx:
        return render(request, "attachments/_attachments.html", section_context(request, task))
    names = ", ".join(a.name for a in added)
    messages.success(request, f"Attached {names} to {task.key}.")
    return see_other(_task_page(workspace, task))


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def attachment_download(
    request: WorkspaceRequest, workspace: Workspace, attachment_id: int
) -> HttpResponse:
    """The file itself: images inline, anything else as a download (attachments.serving)."""
    # A FileResponse (streaming) or a redirect; typed as HttpResponse for @workspace_view.
    return download_response(_attachment(request, workspace, attachment_id))  # type: ignore[return-value]


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def attachment_delete(
    request: WorkspaceRequest, workspace: Workspace, attachment_id: int
) -> HttpResponse:
    """Delete a file: its uploader or an admin."""
    attachment = _attachment(request, workspace, attachment_id)
    task = attachment.task
    services.attachment_delete(actor=request.membership, attachment=attachment)
    if request.htmx:
        return render(request, "attachments/_attachments.html", section_context(request, task))
    messages.success(request, f"Deleted {attachment.name}.")
    return see_other(_task_page(workspace, task))
