"""Import and export pages, under /w/<slug>/integrations/export/ and …/import/.

Exports are CSV files streamed row by row; any member (viewer and up) may download them.
Imports are admin-only and go upload -> column mapping -> preview (nothing written yet) ->
commit, which queues `integrations.import_run`; the progress page polls until it is done.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment import timezones
from alignment.http import WorkspaceRequest, form_status, see_other_to
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from integrations import exporters
from integrations.importers import (
    csv_tasks,
    jira,
    jira_attachments,
    jira_csv,
    jira_custom,
    jira_fields,
    okr_csv,
    runner,
)
from integrations.importers.base import progress_key
from integrations.importers.errors import (
    ImportAlreadyDone,
    ImportHasErrors,
    ImportNotDraft,
    UploadInvalid,
)
from integrations.importers.forms import (
    JiraCsvMappingForm,
    JiraMappingForm,
    column_mapping_form,
)
from integrations.models import ImportJob, ImportKind, ImportStatus
from okrs.models import Period


class BadFilter(ValueError):
    pass


def _team_filter(request: WorkspaceRequest, workspace: Workspace) -> Team | None:
    key = request.GET.get("team", "").strip()
    if not key:
        return None
    return get_object_or_404(Team.objects.visible_to(request.membership), key=key.upper())


def _period_filter(request: WorkspaceRequest, workspace: Workspace) -> Period | None:
    raw = request.GET.get("period", "").strip()
    if not raw:
        return None
    # Not str.isdigit(): it accepts "²", which int() then refuses.
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 18:
        raise BadFilter("The period filter must be a period id.")
    return get_object_or_404(Period.objects.for_workspace(workspace), pk=int(raw))


def _csv_response(lines: Iterator[str], name: str, workspace: Workspace) -> HttpResponse:
    stamp = timezones.today(workspace).isoformat()
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{workspace.slug}-{name}-{stamp}.csv"'
    # workspace_view is typed for HttpResponse views; a streaming response serves the same.
    return cast(HttpResponse, response)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def export_index(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    context = {
        "workspace": workspace,
        "teams": Team.objects.visible_to(request.membership).order_by("key"),
        "periods": Period.objects.for_workspace(workspace).order_by("-start"),
    }
    return render(request, "integrations/export_index.html", context)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def export_tasks(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Tasks as CSV; `?team=ENG` keeps one team's."""
    team = _team_filter(request, workspace)
    fields = exporters.task_custom_fields(workspace, request.membership)
    rows = exporters.task_rows(
        workspace=workspace, team=team, viewer=request.membership, custom_fields=fields
    )
    header = exporters.TASK_COLUMNS + [field.name for field in fields]
    return _csv_response(exporters.csv_lines(header, rows), "tasks", workspace)


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
# CSV kinds with a column mapping step: the importer module holds its fields and labels.
COLUMN_IMPORTERS: dict[str, Any] = {ImportKind.TASKS_CSV: csv_tasks, ImportKind.OKRS_CSV: okr_csv}
PREVIEW_TEMPLATES: dict[str, str] = {
    ImportKind.TASKS_CSV: "integrations/import_preview.html",
    ImportKind.OKRS_CSV: "integrations/import_okr_preview.html",
    ImportKind.JIRA: "integrations/import_jira_preview.html",
    ImportKind.JIRA_CSV: "integrations/import_jira_preview.html",
}
UPLOAD_URLS: dict[str, str] = {
    ImportKind.TASKS_CSV: "integrations:import_tasks_upload",
    ImportKind.OKRS_CSV: "integrations:import_okrs_upload",
    ImportKind.JIRA: "integrations:import_jira_upload",
    ImportKind.JIRA_CSV: "integrations:import_jira_upload",
}


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


def _draft_from(
    workspace: Workspace, kind: str, upload: Any
) -> tuple[ImportJob, list[tuple[str, bytes]]]:
    """A draft job for the upload: its kind, text and first mapping guess come from the file.
    A Jira upload may be a zip of the export and its attachments: the other files are
    returned, to be kept with the job (jira_attachments)."""
    limit = jira_attachments.zip_max_bytes() if kind == ImportKind.JIRA else _max_bytes()
    if upload.size > max(limit, _max_bytes()):
        raise UploadInvalid(f"The file is {upload.size} bytes; upload at most {limit} bytes.")
    data = bytes(upload.read())
    name = upload.name or ""
    files: list[tuple[str, bytes]] = []
    if kind == ImportKind.JIRA and jira_attachments.is_zip(data):
        unpacked = jira_attachments.read_zip(data)
        data, name, files = unpacked.export, unpacked.export_name, unpacked.files
    if len(data) > _max_bytes():
        raise UploadInvalid(f"The file is {len(data)} bytes; upload at most {_max_bytes()} bytes.")
    if kind == ImportKind.JIRA:
        text = data.decode("utf-8-sig", errors="replace")
        kind = ImportKind.JIRA_CSV if jira_csv.looks_like_csv(text) else ImportKind.JIRA
    mapping: dict[str, Any] = {}
    if kind == ImportKind.JIRA:
        text = jira.decode(data)
    elif kind == ImportKind.JIRA_CSV:
        text = jira_csv.decode(data)
        mapping = jira_csv.guessed_mapping(jira_csv.choices(workspace, text))
    else:
        importer = COLUMN_IMPORTERS[kind]
        text = importer.decode(data)
        header = importer.header_of(text)
        # Tasks also map the workspace's custom fields (a column of the field's own name).
        if kind == ImportKind.TASKS_CSV:
            mapping = csv_tasks.guess_mapping(header, workspace)
        else:
            mapping = importer.guess_mapping(header)
    job = ImportJob(
        workspace=workspace,
        kind=kind,
        file_name=name[:200],
        source=text,
        mapping=mapping,
    )
    return job, files


def _upload(request: WorkspaceRequest, workspace: Workspace, kind: str) -> HttpResponse:
    """Step 1 of every import: a file is read, refused with its reason, or kept as a draft."""
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {
        "workspace": workspace,
        "form": form,
        "max_mb": _max_bytes() // (1024 * 1024),
        "kind": kind,
    }
    if request.method == "POST" and form.is_valid():
        try:
            job, files = _draft_from(workspace, kind, form.cleaned_data["file"])
        except UploadInvalid as error:
            form.add_error("file", error.text)
        else:
            job.created_by = request.user  # type: ignore[assignment]
            with transaction.atomic():
                job.save()
                jira_attachments.store_files(job, files)
            # The search JSON says everything itself unless its custom fields are ambiguous;
            # the others always need a mapping step.
            needs_mapping = job.kind != ImportKind.JIRA or jira.needs_mapping(job)
            step = "import_mapping" if needs_mapping else "import_preview"
            return see_other_to(f"integrations:{step}", workspace, import_job_id=job.pk)
    status = form_status(request)
    return render(request, "integrations/import_upload.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_tasks_upload(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Upload a UTF-8 CSV of tasks; its header decides the guessed column mapping."""
    return _upload(request, workspace, ImportKind.TASKS_CSV)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_okrs_upload(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Upload a UTF-8 CSV of objectives and key results (the template's or our export's shape)."""
    return _upload(request, workspace, ImportKind.OKRS_CSV)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_jira_upload(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Upload Jira's search JSON (straight to its preview) or its CSV export (mapping first)."""
    return _upload(request, workspace, ImportKind.JIRA)


@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_okrs_template(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """A CSV with the OKR import's columns and example rows, to fill in."""
    lines = exporters.csv_lines(okr_csv.TEMPLATE_HEADER, okr_csv.TEMPLATE_ROWS)
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="okr-import-template.csv"'
    return response


def _column_labels(job: ImportJob) -> dict[str, str]:
    """The fields a column import maps: a tasks import adds the workspace's custom fields."""
    if job.kind == ImportKind.TASKS_CSV:
        return csv_tasks.labels_for(job.workspace)
    return dict(COLUMN_IMPORTERS[job.kind].LABELS)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_mapping(
    request: WorkspaceRequest, workspace: Workspace, import_job_id: int
) -> HttpResponse:
    """Step 2: which column holds which field, or (Jira CSV) what its statuses, sprints and
    assignees are here. Guessed from the file; every choice can be changed."""
    job = _draft(workspace, import_job_id)
    data = request.POST or None
    form: forms.Form
    if job.kind == ImportKind.JIRA_CSV:
        choices = jira_csv.choices(workspace, job.source)
        projects = jira_csv.projects_of(job.source)
        form = JiraCsvMappingForm(choices, workspace, job.mapping or {}, data, projects)
    elif job.kind == ImportKind.JIRA:
        payload = json.loads(job.source)
        detection = jira_fields.detect(payload)
        projects = jira.projects_of(payload)
        form = JiraMappingForm(
            detection,
            projects,
            workspace,
            job.mapping or {},
            data,
            custom_choices=jira_custom.jira_choices(payload),
        )
    elif job.kind in COLUMN_IMPORTERS:
        importer = COLUMN_IMPORTERS[job.kind]
        header = importer.header_of(job.source)
        labels = _column_labels(job)
        form = column_mapping_form(header, labels, importer.REQUIRED, data, job.mapping)
    else:
        raise Http404("This import has no mapping step.")
    if request.method == "POST" and form.is_valid():
        if isinstance(form, JiraCsvMappingForm | JiraMappingForm):
            job.mapping = form.mapping()
        else:
            labels = _column_labels(job)
            job.mapping = {name: form.cleaned_data.get(name) or "" for name in labels}
        job.save(update_fields=["mapping"])
        return see_other_to("integrations:import_preview", workspace, import_job_id=job.pk)
    status = form_status(request)
    context = {"workspace": workspace, "job": job, "form": form}
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
        context["fields_in_use"] = jira.fields_in_use(job)
    return render(request, PREVIEW_TEMPLATES[job.kind], context)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_commit(
    request: WorkspaceRequest, workspace: Workspace, import_job_id: int
) -> HttpResponse:
    """Step 4: queue the all-or-nothing run, after commit; refused while rows have errors."""
    from integrations.tasks import enqueue_import

    with transaction.atomic():
        job = get_object_or_404(
            ImportJob.objects.for_workspace(workspace).select_for_update(), pk=import_job_id
        )
        if job.status != ImportStatus.DRAFT:
            raise ImportNotDraft()
        checked = runner.preview(job)
        if getattr(checked, "is_everything_imported", False):
            raise ImportAlreadyDone()  # a second import of the same export creates nothing
        if not checked.is_valid:
            raise ImportHasErrors(count=len(checked.error_rows) or 1)
        job.status = ImportStatus.QUEUED
        job.total = checked.total
        job.created_by = request.user  # type: ignore[assignment]
        job.save(update_fields=["status", "total", "created_by"])
        transaction.on_commit(lambda: enqueue_import(job.pk))
    return see_other_to("integrations:import_progress", workspace, import_job_id=job.pk)


@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def import_progress(
    request: WorkspaceRequest, workspace: Workspace, import_job_id: int
) -> HttpResponse:
    """The run's progress; the htmx partial polls itself every second until it is finished."""
    job = _job(workspace, import_job_id)
    live = cache.get(progress_key(job.pk))
    if isinstance(live, int) and not job.is_finished:
        # The run's RUNNING commits with its rows (importers/base.py); the live count shows it.
        job.status, job.done = ImportStatus.RUNNING, live
    context = {"workspace": workspace, "job": job, "upload_url": UPLOAD_URLS[job.kind]}
    is_htmx = bool(getattr(request, "htmx", False))
    template = (
        "integrations/_import_progress.html" if is_htmx else "integrations/import_progress.html"
    )
    return render(request, template, context)
