"""Settings: the audit log (admin), filterable, with readable before/after changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from alignment.audit_export import EXPORT_FORMATS, audit_export_response
from alignment.audit_retention import audit_retention_days, audit_retention_set
from alignment.errors import FieldErrors
from alignment.filters import AuditEventFilter
from alignment.forms import AuditRetentionForm
from alignment.http import (
    WorkspaceRequest,
    add_field_errors,
    paginate,
    query_without,
    see_other_to,
    settings_context,
)
from alignment.models import AuditEvent, Membership, Role, Workspace
from alignment.tenancy import workspace_view

MISSING = object()


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is MISSING:
            return "set"
        if self.after is MISSING:
            return "was"
        return "changed" if self.before != self.after else "same"


def changes_of(event: AuditEvent) -> list[Change]:
    """The event's before/after as one row per field, in a stable order."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    names = list(dict.fromkeys([*before, *after]))
    return [
        Change(name, before.get(name, MISSING), after.get(name, MISSING))
        for name in names
        if before.get(name, MISSING) != after.get(name, MISSING)
    ]


def _render_audit_log(
    request: WorkspaceRequest,
    workspace: Workspace,
    *,
    retention_form: AuditRetentionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Who did what, newest first, 50 a page; filters by verb, actor and date range."""
    events = (
        AuditEvent.objects.for_workspace(workspace)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    filterset = AuditEventFilter(request.GET or None, queryset=events)
    if filterset.is_bound and not filterset.is_valid():
        status = 400
        events = events.none()
    elif filterset.is_bound:
        events = filterset.qs
    page = paginate(request, events)
    for event in page.object_list:
        event.changes = changes_of(event)  # type: ignore[attr-defined]
    verbs = (
        AuditEvent.objects.for_workspace(workspace)
        .order_by("verb")
        .values_list("verb", flat=True)
        .distinct()
    )
    actors = (
        Membership.objects.for_workspace(workspace)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    context = settings_context(
        request,
        "audit",
        page=page,
        filters=filterset.form,
        verbs=verbs,
        actors=actors,
        selected={k: request.GET.get(k, "") for k in ("verb", "actor", "since", "until")},
        keep=query_without(request, "page"),
        export_query=query_without(request, "page"),
        retention_days=audit_retention_days(workspace),
        retention_form=retention_form
        or AuditRetentionForm(initial={"days": audit_retention_days(workspace)}),
    )
    return render(request, "settings/audit.html", context, status=status)


@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def audit_log(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Who did what, newest first, 50 a page; filters by verb, actor and date range."""
    return _render_audit_log(request, workspace)


@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def audit_export(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Download the (filtered) audit log as CSV or JSON (`?export_format=`), streamed."""
    export_format = request.GET.get("export_format", "csv")
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.for_workspace(workspace))
    if export_format not in EXPORT_FORMATS or not filterset.is_valid():
        # Back to the log, which shows what is wrong with the filters, with a 400.
        if export_format not in EXPORT_FORMATS:
            messages.error(request, "Export as csv or json.")
        return _render_audit_log(request, workspace, status=400)
    response = audit_export_response(
        workspace=workspace, events=filterset.qs, export_format=export_format
    )
    # workspace_view is typed for HttpResponse views; a streaming response serves the same.
    return cast(HttpResponse, response)


@require_POST
@workspace_view(read=Role.OWNER, write=Role.OWNER)
def audit_retention(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Set how many days of audit log the workspace keeps (owner); empty keeps everything."""
    form = AuditRetentionForm(request.POST)
    if form.is_valid():
        try:
            audit_retention_set(actor=request.membership, days=form.cleaned_data["days"])
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            days = form.cleaned_data["days"]
            messages.success(
                request,
                f"Audit events older than {days} days are deleted daily."
                if days
                else "The audit log is kept forever.",
            )
            return see_other_to("workspace:audit", workspace)
    return _render_audit_log(request, workspace, retention_form=form, status=422)
