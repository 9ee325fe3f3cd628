"""Settings: the audit log (admin), filterable, with readable before/after changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alignment.filters import AuditEventFilter
from alignment.http import WorkspaceRequest
from alignment.models import AuditEvent, Membership, Role, Workspace
from alignment.tenancy import workspace_view
from alignment.views.settings_base import paginate, query_without, settings_context

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


@require_GET
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def audit_log(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Who did what, newest first, 50 a page; filters by verb, actor and date range."""
    events = (
        AuditEvent.objects.for_workspace(workspace)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    filterset = AuditEventFilter(request.GET or None, queryset=events)
    status = 200
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
    )
    return render(request, "settings/audit.html", context, status=status)
