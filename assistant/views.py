"""Assistant pages: the goal generator (draft, edit, accept), the three summaries with their
citation links, and the admins' page (the model switch and the audit log)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from alignment.errors import DomainError
from alignment.http import WorkspaceRequest, paginate, see_other, settings_context
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from assistant import client, generator, runner, services, summaries
from assistant.models import AssistantLog
from okrs import selectors as okr_selectors
from okrs.models import Objective, Period
from tasks.models import Sprint

KR_ROWS = range(generator.MAX_KRS)
KR_FIELDS = ("title", "kind", "baseline", "target", "unit")


def _base(request: WorkspaceRequest, workspace: Workspace, **extra: Any) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "me": request.membership,
        "mode": runner.mode(workspace),
        **extra,
    }


def _choices(request: WorkspaceRequest, workspace: Workspace) -> dict[str, Any]:
    return {
        "periods": [p for p in okr_selectors.periods_for_workspace(workspace) if not p.is_closed],
        "teams": Team.objects.visible_to(request.membership).order_by("name"),
        "parents": Objective.objects.visible_to(request.membership)
        .filter(level="company")
        .order_by("title")[:100],
        "kinds": generator.KINDS,
        "current_period": okr_selectors.current_period(workspace),
    }


def _posted_key_results(request: WorkspaceRequest) -> list[dict[str, str]]:
    rows = []
    for i in KR_ROWS:
        row = {name: request.POST.get(f"kr-{i}-{name}", "").strip() for name in KR_FIELDS}
        if request.POST.get(f"kr-{i}-keep") and row["title"]:
            rows.append(row)
    return rows


def _pick(model: Any, request: WorkspaceRequest, name: str) -> Any:
    raw = request.POST.get(name, "")
    if not raw:
        return None
    if not raw.isdigit():
        raise DomainError(f"Choose a {name} from the list.")
    found = model.objects.visible_to(request.membership).filter(pk=int(raw)).first()
    if found is None:
        raise DomainError(f"Choose a {name} from the list.")
    return found


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def draft_page(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """GET: one sentence. POST action=draft: the editable draft. POST action=accept: create."""
    context = _base(request, workspace, **_choices(request, workspace))
    if request.method == "GET":
        return render(request, "assistant/draft.html", context)
    if request.POST.get("action") == "accept":
        return _accept(request, workspace, context)
    try:
        draft = generator.draft(request.membership, request.POST.get("sentence", ""))
    except generator.DraftError as exc:
        context.update(error=str(exc), sentence=request.POST.get("sentence", ""))
        return render(request, "assistant/draft.html", context, status=422)
    rows = [
        {**kr.__dict__, "keep": True, "baseline": f"{kr.baseline:g}", "target": f"{kr.target:g}"}
        for kr in draft.key_results
    ]
    context.update(draft=draft, rows=rows, sentence=draft.sentence, title=draft.title)
    return render(request, "assistant/draft.html", context)


def _accept(
    request: WorkspaceRequest, workspace: Workspace, context: dict[str, Any]
) -> HttpResponse:
    rows = _posted_key_results(request)
    try:
        period = _pick(Period, request, "period")
        if period is None:
            raise DomainError("Choose a period for the objective.")
        objective = services.accept_draft(
            actor=request.membership,
            period=period,
            title=request.POST.get("title", ""),
            description=request.POST.get("sentence", ""),
            team=_pick(Team, request, "team"),
            parent=_pick(Objective, request, "parent"),
            key_results=rows,
        )
    except DomainError as exc:
        problems = [m for ms in exc.fields.values() for m in ms] or [exc.text]
        context.update(
            errors=problems,
            rows=[{**row, "keep": True} for row in rows],
            sentence=request.POST.get("sentence", ""),
            title=request.POST.get("title", ""),
            draft=True,
        )
        return render(request, "assistant/draft.html", context, status=422)
    messages.success(request, f"“{objective.title}” created with {len(rows)} key results.")
    return see_other(
        reverse(
            "okrs:objective_detail",
            kwargs={"slug": workspace.slug, "objective_id": objective.pk},
        )
    )


def _summary_page(
    request: WorkspaceRequest, workspace: Workspace, summary: summaries.Summary, back: str
) -> HttpResponse:
    return render(
        request,
        "assistant/summary.html",
        _base(request, workspace, summary=summary, back=back),
    )


@require_GET
@workspace_view()
def weekly_page(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    summary = summaries.weekly_summary(request.membership)
    return _summary_page(
        request, workspace, summary, reverse("dashboards:leader", kwargs={"slug": workspace.slug})
    )


@require_GET
@workspace_view()
def objective_page(
    request: WorkspaceRequest, workspace: Workspace, objective_id: int
) -> HttpResponse:
    objective = get_object_or_404(Objective.objects.visible_to(request.membership), pk=objective_id)
    summary = summaries.objective_changes(request.membership, objective)
    back = reverse(
        "okrs:objective_detail", kwargs={"slug": workspace.slug, "objective_id": objective.pk}
    )
    return _summary_page(request, workspace, summary, back)


@require_GET
@workspace_view()
def retro_page(request: WorkspaceRequest, workspace: Workspace, sprint_id: int) -> HttpResponse:
    sprint = get_object_or_404(Sprint.objects.visible_to(request.membership), pk=sprint_id)
    summary = summaries.retro_summary(request.membership, sprint)
    back = reverse(
        "tasks:sprint",
        kwargs={"slug": workspace.slug, "team_id": sprint.team_id, "sprint_id": sprint.pk},
    )
    return _summary_page(request, workspace, summary, back)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def settings_page(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The model switch and the audit log of prompts and answers (admins)."""
    if request.method == "POST":
        enabled = request.POST.get("model_enabled") == "on"
        services.set_model_enabled(actor=request.membership, enabled=enabled)
        messages.success(request, "The model is " + ("on." if enabled else "off."))
        return see_other(reverse("assistant:settings", kwargs={"slug": workspace.slug}))
    page = paginate(
        request, AssistantLog.objects.visible_to(request.membership).select_related("actor")
    )
    context = settings_context(
        request,
        "assistant",
        mode=runner.mode(workspace),
        settings=services.settings_of(workspace.pk),
        page=page,
        endpoint=client.configured_endpoint(),
    )
    return render(request, "assistant/settings.html", context)
