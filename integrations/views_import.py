"""Import and export pages, under /w/<slug>/integrations/export/ and …/import/.

Exports are CSV files streamed row by row; any member (viewer and up) may download them.
Imports are admin-only and go upload -> column mapping -> preview (nothing written yet) ->
commit, which queues `integrations.import_run`; the progress page polls until it is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.http import WorkspaceRequest
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from alignment.views.settings_base import see_other_to
from integrations import exporters
from integrations.importers import csv_tasks, jira, runner
from integrations.importers.errors import ImportHasErrors, ImportNotDraft, UploadInvalid
from integrations.models import ImportJob, ImportKind, ImportStatus
from okrs.models import Period


class BadFilter(ValueError):
    pass


def _team_filter(request: WorkspaceRequest, workspace: Workspace) -> Team | None:
    key = request.GET.get("team", "").strip()
    if not key:
        return None
    return get_object_or_404(Team.objects.for_workspace(workspace), key=key.upper())


def _period_filter(request: WorkspaceRequest, workspace: Workspace) -> Period | None:
    raw = request.GET.get("period", "").strip()
    if not raw:
        return None
    # Not str.isdigit(): it accepts "²", which int() then refuses.
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 18:
        raise BadFilter("The period filter must be a period id.")
    return get_object_or_404(Period.objects.for_workspace(workspace), pk=int(raw))


def _csv_response(lines: Iterator[str], name: str, workspace: Workspace) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{workspace.slug}-{name}-{stamp}.csv"'
    # workspace_view is typed for HttpResponse views; a streaming response serves the same.
    return cast(HttpResponse, response)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def export_index(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    context = {
        "workspace": workspace,
        "teams": Team.objects.for_workspace(workspace).order_by("key"),
        "periods": Period.objects.for_workspace(workspace).order_by("-start"),
    }
    return render(request, "integrations/export_index.html", context)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def export_tasks(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Tasks as CSV; `?team=ENG` keeps one team's."""
    team = _team_filter(request, workspace)
    rows = exporters.task_rows(workspace=workspace, team=team)
    return _csv_response(exporters.csv_lines(exporters.TASK_COLUMNS, rows), "tasks", workspace)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def export_okrs(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Objectives and key results as CSV; `?team=ENG` and `?period=<id>` narrow it."""
    team = _team_filter(request, workspace)
    try:
        period = _period_filter(request, workspace)
    except BadFilter as error:
        return HttpResponseBadRequest(str(error))
    rows = exporters.okr_rows(workspace=workspace, team=team, period=period)
    return _csv_response(exporters.csv_lines(exporters.OKR_COLUMNS, rows), "okrs", workspace)


# --- Import -------------------------------------------------------------------------------

DEFAULT_MAX_BYTES = 2 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file")


def _max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _job(workspace: Workspace, import_job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.for_workspace(workspace), pk=import_job_id)


def _draft(workspace: Workspace, import_job_id: int) -> ImportJob:
    job = _job(workspace, import_job_id)
    if job.status != ImportStatus.DRAFT:
        raise ImportNotDraft()
    return job


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_tasks_upload(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Step 1: upload a UTF-8 CSV file; its header decides the guessed column mapping."""
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {
        "workspace": workspace,
        "form": form,
        "max_mb": _max_bytes() // (1024 * 1024),
        "kind": ImportKind.TASKS_CSV,
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > _max_bytes():
                raise UploadInvalid(
                    f"The file is {upload.size} bytes; upload at most {_max_bytes()} bytes."
                )
            text = csv_tasks.decode(upload.read())
            header = csv_tasks.header_of(text)
        except UploadInvalid as error:
            form.add_error("file", error.text)
        else:
            job = ImportJob.objects.create(
                workspace=workspace,
                kind=ImportKind.TASKS_CSV,
                file_name=(upload.name or "")[:200],
                source=text,
                mapping=csv_tasks.guess_mapping(header),
                created_by=request.user,
            )
            return see_other_to("integrations:import_mapping", workspace, import_job_id=job.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "integrations/import_upload.html", context, status=status)


def _mapping_form(header: list[str], data: Any = None, initial: Any = None) -> forms.Form:
    choices = [("", "— not in the file —")] + [(name, name) for name in header if name]
    form = forms.Form(data, initial=initial)
    for name, label in csv_tasks.LABELS.items():
        form.fields[name] = forms.ChoiceField(
            label=label, choices=choices, required=name in csv_tasks.REQUIRED
        )
    return form


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_mapping(
    request: WorkspaceRequest, workspace: Workspace, import_job_id: int
) -> HttpResponse:
    """Step 2: say which column holds which field (guessed from the header names)."""
    job = _draft(workspace, import_job_id)
    header = csv_tasks.header_of(job.source)
    form = _mapping_form(header, request.POST or None, initial=job.mapping)
    if request.method == "POST" and form.is_valid():
        job.mapping = {name: form.cleaned_data.get(name) or "" for name in csv_tasks.LABELS}
        job.save(update_fields=["mapping"])
        return see_other_to("integrations:import_preview", workspace, import_job_id=job.pk)
    status = 422 if request.method == "POST" else 200
    context = {"workspace": workspace, "job": job, "form": form, "header": header}
    return render(request, "integrations/import_mapping.html", context, status=status)


@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_preview(
    request: WorkspaceRequest, workspace: Workspace, import_job_id: int
) -> HttpResponse:
    """Step 3: every row with its errors; nothing has been written."""
    job = _draft(workspace, import_job_id)
    checked = runner.preview(job)
    context = {"workspace": workspace, "job": job, "preview": checked, "labels": csv_tasks.LABELS}
    if job.kind == ImportKind.JIRA:
        return render(request, "integrations/import_jira_preview.html", context)
    return render(request, "integrations/import_preview.html", context)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_commit(
    request: WorkspaceRequest, workspace: Workspace, import_job_id: int
) -> HttpResponse:
    """Step 4: queue the all-or-nothing run, after commit; refused while rows have errors."""
    from integrations.tasks import import_run

    with transaction.atomic():
        job = get_object_or_404(
            ImportJob.objects.for_workspace(workspace).select_for_update(), pk=import_job_id
        )
        if job.status != ImportStatus.DRAFT:
            raise ImportNotDraft()
        checked = runner.preview(job)
        if not checked.is_valid:
            raise ImportHasErrors(count=len(checked.error_rows) or 1)
        job.status = ImportStatus.QUEUED
        job.total = len(checked.issues if job.kind == ImportKind.JIRA else checked.rows)
        job.created_by = request.user  # type: ignore[assignment]
        job.save(update_fields=["status", "total", "created_by"])
        transaction.on_commit(lambda: import_run.delay(job.pk))
    return see_other_to("integrations:import_progress", workspace, import_job_id=job.pk)


@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_progress(
    request: WorkspaceRequest, workspace: Workspace, import_job_id: int
) -> HttpResponse:
    """The run's progress; the htmx partial polls itself every second until it is finished."""
    job = _job(workspace, import_job_id)
    live = cache.get(csv_tasks.progress_key(job.pk))
    if isinstance(live, int) and not job.is_finished:
        job.done = live
    context = {"workspace": workspace, "job": job}
    is_htmx = bool(getattr(request, "htmx", False))
    template = (
        "integrations/_import_progress.html" if is_htmx else "integrations/import_progress.html"
    )
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_jira_upload(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Upload the JSON of Jira's issue search; the next page is its preview."""
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {
        "workspace": workspace,
        "form": form,
        "max_mb": _max_bytes() // (1024 * 1024),
        "kind": ImportKind.JIRA,
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > _max_bytes():
                raise UploadInvalid(
                    f"The file is {upload.size} bytes; upload at most {_max_bytes()} bytes."
                )
            text = jira.decode(upload.read())
        except UploadInvalid as error:
            form.add_error("file", error.text)
        else:
            job = ImportJob.objects.create(
                workspace=workspace,
                kind=ImportKind.JIRA,
                file_name=(upload.name or "")[:200],
                source=text,
                created_by=request.user,
            )
            return see_other_to("integrations:import_preview", workspace, import_job_id=job.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "integrations/import_upload.html", context, status=status)
