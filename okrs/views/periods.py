"""Periods: the list, create/edit (admins) and closing with a preview of the scores."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from alignment import timezones
from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from okrs import selectors, services
from okrs.errors import PeriodOverlap
from okrs.forms import PeriodCloseForm
from okrs.models import Objective, ObjectiveStatus, Period
from okrs.period_forms import PeriodForm
from okrs.views._common import get_period, okr_context, see_other, url


def quarter_of(day: date) -> tuple[str, date, date]:
    """The calendar quarter containing `day`: its name and first and last days."""
    index = (day.month - 1) // 3
    start = date(day.year, index * 3 + 1, 1)
    after = date(day.year + (index == 3), (index * 3 + 3) % 12 + 1, 1)
    return f"{day.year} Q{index + 1}", start, after - timedelta(days=1)


def suggested_period(workspace: Workspace) -> dict[str, Any]:
    """This quarter when there is no period yet, else the quarter after the latest one."""
    latest = Period.objects.for_workspace(workspace).order_by("-end").first()
    day = timezones.today(workspace) if latest is None else latest.end + timedelta(days=1)
    name, start, end = quarter_of(day)
    return {"name": name, "start": start, "end": end}


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def period_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    periods = selectors.periods_for_workspace(workspace).annotate(
        objective_count=Count("objectives", filter=~Q(objectives__status=ObjectiveStatus.ARCHIVED))
    )
    current = selectors.current_period(workspace)
    return render(
        request,
        "okrs/periods.html",
        okr_context(request, periods=periods, current=current, today=timezones.today(workspace)),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def period_new(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    if request.method == "POST":
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                period = services.period_create(actor=request.membership, **form.cleaned_data)
            except (FieldErrors, PeriodOverlap) as exc:
                add_field_errors(form, exc)
            else:
                messages.success(request, f"{period.name} created. Write its first objectives.")
                return see_other(f"{url('tree', workspace)}?period={period.pk}")
        status = 422
    else:
        form = PeriodForm(initial=suggested_period(workspace))
        status = 200
    return render(
        request,
        "okrs/period_form.html",
        okr_context(request, form=form, period=None),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def period_edit(request: WorkspaceRequest, workspace: Workspace, period_id: int) -> HttpResponse:
    period = get_period(workspace, period_id)
    if request.method == "POST":
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                services.period_update(actor=request.membership, period=period, **form.cleaned_data)
            except (FieldErrors, PeriodOverlap) as exc:
                add_field_errors(form, exc)
            else:
                messages.success(request, f"{period.name} saved.")
                return see_other(url("periods", workspace))
        period.refresh_from_db()
        status = 422
    else:
        form = PeriodForm(
            initial={
                "name": period.name,
                "start": period.start,
                "end": period.end,
                "allows_overlap": period.allows_overlap,
                "overlap_reason": period.overlap_reason,
            }
        )
        status = 200
    return render(
        request,
        "okrs/period_form.html",
        okr_context(request, form=form, period=period),
        status=status,
    )


def close_preview(workspace: Workspace, period: Period) -> list[dict[str, Any]]:
    """The score each open objective will get, and how many KRs are unfinished."""
    objectives = list(
        Objective.objects.for_workspace(workspace)
        .filter(period=period, status__in=[ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE])
        .select_related("period", "team", "owner")
        .order_by("title", "pk")
    )
    objectives.sort(key=lambda o: selectors.LEVEL_ORDER.get(o.level, 9))
    nodes = selectors.progress_for_objectives(workspace, objectives)
    return [
        {
            "objective": o,
            "node": nodes[o.pk],
            "unfinished": sum(1 for kr in nodes[o.pk].key_results if kr.progress < 1),
        }
        for o in objectives
    ]


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def period_close(request: WorkspaceRequest, workspace: Workspace, period_id: int) -> HttpResponse:
    """Confirm with a preview of the scores, then close (optionally carrying work over)."""
    period = get_period(workspace, period_id)
    form = PeriodCloseForm(request.POST or None, period=period)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.period_close(
                    actor=request.membership,
                    period=period,
                    carry_over=form.cleaned_data["carry_over"],
                    next_period=form.cleaned_data["next_period"],
                )
            except FieldErrors as exc:
                add_field_errors(form, exc)
            else:
                carried = form.cleaned_data["carry_over"]
                messages.success(
                    request,
                    f"{period.name} is closed and its objectives scored"
                    + ("; unfinished key results were carried over." if carried else "."),
                )
                return see_other(url("periods", workspace))
    candidates = list(form.fields["next_period"].queryset)  # type: ignore[attr-defined]
    if not form.is_bound and candidates:
        form.initial["next_period"] = candidates[0].pk
    rows = close_preview(workspace, period)
    context = okr_context(
        request,
        period=period,
        form=form,
        rows=rows,
        next_period=candidates[0] if candidates else None,
        unfinished=sum(r["unfinished"] for r in rows),
    )
    return render(request, "okrs/period_close.html", context, status=status)
