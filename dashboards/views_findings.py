"""Findings pages: every finding of a kind (the leader dashboard's "show all"), the dismissed
and snoozed ones, and dismissing, snoozing and restoring one (members and above)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from alignment import timezones
from alignment.errors import NotFound
from alignment.http import WorkspaceRequest, query_without, see_other
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from dashboards import dismissals
from dashboards import findings as read
from dashboards.models import Finding, FindingDismissal
from dashboards.reasons import KINDS, Names, finding_keys, shown

PAGE_SIZE = 50


def _finding(request: WorkspaceRequest, finding_id: int) -> Finding:
    finding = Finding.objects.visible_to(request.membership).filter(pk=finding_id).first()
    if finding is None:
        raise NotFound("This finding is gone: its cause no longer holds. Reload the page.")
    return finding


def _code(request: WorkspaceRequest) -> str:
    code = request.GET.get("code", "")
    if code and code not in KINDS:
        raise NotFound(f"No kind of finding {code!r}; ask for one of: {', '.join(KINDS)}.")
    return code


def _context(request: WorkspaceRequest, workspace: Workspace, **extra: Any) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "can_dismiss": request.membership.has_role(Role.MEMBER),
        "today": timezones.today(workspace),
        "next_url": request.get_full_path(),
        **extra,
    }


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def findings_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Every visible finding, grouped by kind and ranked; ?code= shows one kind, page by page.
    An htmx request for one kind (the dashboard's "show all") gets that group alone."""
    code = _code(request)
    today = timezones.today(workspace)
    if not code:
        groups = read.grouped(
            workspace, today=today, per_group=read.TOP_PER_GROUP, viewer=request.membership
        )
        names = Names.load(workspace, finding_keys(groups.stored), viewer=request.membership)
        groups.attach(shown(groups.stored, names))
        return render(
            request, "dashboards/findings.html", _context(request, workspace, groups=groups)
        )
    ranked = read.visible(workspace, today=today, viewer=request.membership).filter(code=code)
    if request.htmx:
        stored = list(ranked[: read.GROUP_PAGE_MAX])
        group = read.FindingGroup(code, ranked.count(), stored[0].impact if stored else 0.0)
        group.findings = shown(
            stored, Names.load(workspace, finding_keys(stored), viewer=request.membership)
        )
        context = _context(request, workspace, group=group, expanded=True)
        context["next_url"] = reverse("dashboards:leader", args=[workspace.slug])
        return render(request, "dashboards/_findings_group.html", context)
    page = Paginator(ranked, PAGE_SIZE).get_page(request.GET.get("page"))
    stored = list(page.object_list)
    group = read.FindingGroup(code, page.paginator.count, stored[0].impact if stored else 0.0)
    group.findings = shown(
        stored, Names.load(workspace, finding_keys(stored), viewer=request.membership)
    )
    context = _context(
        request, workspace, group=group, page=page, keep=query_without(request, "page")
    )
    return render(request, "dashboards/findings.html", context)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def findings_dismissed(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Findings someone dismissed or snoozed: who, why, until when, and an undo."""
    today = timezones.today(workspace)
    page = Paginator(
        read.hidden(workspace, today=today, viewer=request.membership), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    stored = list(page.object_list)
    causes = {(f.code, f.subject_kind, f.subject_id) for f in stored}
    by_cause = {
        (d.code, d.subject_kind, d.subject_id): d
        for d in FindingDismissal.objects.for_workspace(workspace)
        .filter(subject_id__in=[f.subject_id for f in stored])
        .select_related("created_by")
        if (d.code, d.subject_kind, d.subject_id) in causes
    }
    items = shown(stored, Names.load(workspace, finding_keys(stored), viewer=request.membership))
    rows = [
        (item, by_cause.get((f.code, f.subject_kind, f.subject_id)))
        for item, f in zip(items, stored, strict=True)
    ]
    context = _context(
        request, workspace, rows=rows, page=page, keep=query_without(request, "page")
    )
    return render(request, "dashboards/findings_dismissed.html", context)


def _back(request: WorkspaceRequest, workspace: Workspace) -> str:
    """Where a form without htmx returns: the page it was on, if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboards:leader", args=[workspace.slug])


def _hidden(
    request: WorkspaceRequest, workspace: Workspace, finding: Finding, dismissal: FindingDismissal
) -> HttpResponse:
    """After a dismiss or snooze: htmx swaps the finding for a line with an undo."""
    what = f"Snoozed until {dismissal.until:%Y-%m-%d}" if dismissal.until else "Dismissed"
    if request.htmx:
        context = _context(request, workspace, finding=finding, dismissal=dismissal, what=what)
        context["next_url"] = request.POST.get("next", "")
        return render(request, "dashboards/_finding_hidden.html", context)
    messages.success(request, f"{what}: {dismissal.reason}")
    return see_other(_back(request, workspace))


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def finding_dismiss(
    request: WorkspaceRequest, workspace: Workspace, finding_id: int
) -> HttpResponse:
    """Hide a finding while its cause persists; a reason is required."""
    finding = _finding(request, finding_id)
    dismissal = dismissals.finding_dismiss(
        actor=request.membership,
        finding=finding,
        reason=request.POST.get("reason"),
    )
    return _hidden(request, workspace, finding, dismissal)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def finding_snooze(
    request: WorkspaceRequest, workspace: Workspace, finding_id: int
) -> HttpResponse:
    """Hide a finding until a day; a reason and the day are required."""
    finding = _finding(request, finding_id)
    dismissal = dismissals.finding_snooze(
        actor=request.membership,
        finding=finding,
        reason=request.POST.get("reason"),
        until=request.POST.get("until"),
        today=timezones.today(workspace),
    )
    return _hidden(request, workspace, finding, dismissal)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def finding_restore(
    request: WorkspaceRequest, workspace: Workspace, finding_id: int
) -> HttpResponse:
    """Undo a dismiss or snooze: the finding shows again."""
    finding = _finding(request, finding_id)
    dismissals.finding_restore(actor=request.membership, finding=finding)
    if request.htmx:
        return HttpResponseClientRefresh()
    messages.success(request, "The finding shows again.")
    return see_other(_back(request, workspace))
