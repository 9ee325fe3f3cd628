"""The sprint board: columns per workflow state, drag and drop, keyboard moves, quick-edit."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from alignment.views.settings_base import add_field_errors
from tasks import page_selectors, selectors, services
from tasks.forms import MoveForm, QuickEditForm
from tasks.models import OPEN_CATEGORIES, Sprint, SprintStatus, Task, WorkflowState
from tasks.services.rules import UNSET
from tasks.views._common import (
    get_task,
    get_team,
    int_param,
    is_partial,
    see_other,
    url,
    work_context,
)

FILTERS = ("assignee", "label", "key_result", "objective")


def filters_from(request: WorkspaceRequest) -> dict[str, int | None]:
    return {name: int_param(request.GET.get(name)) for name in FILTERS}


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def board_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Every team with its active sprint and open work: the way into boards and backlogs."""
    teams = list(
        Team.objects.visible_to(request.membership)
        .annotate(
            open_tasks=Count("tasks", filter=Q(tasks__state_category__in=sorted(OPEN_CATEGORIES)))
        )
        .order_by("name")
    )
    active = {
        s.team_id: s
        for s in Sprint.objects.visible_to(request.membership).filter(status=SprintStatus.ACTIVE)
    }
    rows = [(team, active.get(team.pk)) for team in teams]
    return render(request, "tasks/boards.html", work_context(request, rows=rows))


def card_context(workspace: Workspace, task: Task) -> dict[str, Any]:
    """One card, freshly read, with its KR badges and flags (for swaps after a change)."""
    fresh = selectors.tasks_shaped(workspace).get(pk=task.pk)
    page_selectors.decorate_cards(
        workspace,
        [fresh],
        blocked_by=selectors.open_blockers(workspace, [fresh.pk]),
        conflicts=selectors.schedule_conflicts(workspace, [fresh.pk]),
    )
    return {"task": fresh}


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def sprint_board(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """The team's active sprint (or ?sprint=<id>) as columns; filters narrow the cards."""
    team = get_team(request, team_id)
    sprint = page_selectors.team_sprint(workspace, team, request.GET.get("sprint"))
    if sprint is None and request.GET.get("sprint"):
        raise Http404("No such sprint in this team.")
    filters = filters_from(request)
    board = selectors.sprint_board(workspace, team, sprint, **filters)
    page_selectors.decorate_cards(
        workspace, board.tasks, blocked_by=board.blocked_by, conflicts=board.conflicts
    )
    context = work_context(
        request,
        team=team,
        board=board,
        filters=filters,
        choices=page_selectors.filter_choices(workspace),
        sprints=page_selectors.open_sprints(workspace, team),
        board_url=url("board", workspace, team_id=team.pk),
    )
    template = "tasks/_board.html" if is_partial(request) else "tasks/board.html"
    return render(request, template, context)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_card(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """One card as the server has it now (board.js reloads a card after a refused move)."""
    task = get_task(request, key)
    context = work_context(request, **card_context(workspace, task))
    template = "tasks/_backlog_row.html" if request.GET.get("as") == "row" else "tasks/_card.html"
    return render(request, template, context)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_move(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """A drop or a keyboard move: new neighbours (for the rank), maybe another column.

    The task's `version` comes along; a stale one is refused with 409 (StaleVersion) and the
    board reloads the card, so two people moving cards at once never lose a move."""
    task = get_task(request, key)
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise FieldErrors(
            {name: [str(e) for e in errors] for name, errors in form.errors.items()},
            "The move was not understood: "
            + "; ".join(f"{name}: {errors[0]}" for name, errors in form.errors.items()),
        )
    data = form.cleaned_data
    state: WorkflowState | None = UNSET
    if data.get("state"):
        found = WorkflowState.objects.for_workspace(workspace).filter(pk=data["state"]).first()
        if found is None:
            raise FieldErrors({"state": "That column was not found."}, "That column was not found.")
        state = found
    after = (
        selectors.task_by_key(workspace, data["after"], viewer=request.membership)
        if data["after"]
        else None
    )
    before = (
        selectors.task_by_key(workspace, data["before"], viewer=request.membership)
        if data["before"]
        else None
    )
    services.task_move(
        actor=request.membership,
        task=task,
        expected_version=data["version"],
        after=after,
        before=before,
        state=state,
    )
    if not request.htmx:
        return see_other(url("board", workspace, team_id=task.team_id))
    context = work_context(request, **card_context(workspace, task))
    template = "tasks/_backlog_row.html" if request.POST.get("as") == "row" else "tasks/_card.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_quick_edit(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """Assignee and points from a card: GET the small form, POST it back for the new card."""
    task = get_task(request, key)
    if request.method == "GET":
        form = QuickEditForm(
            workspace=workspace,
            initial={
                "assignee": task.assignee_id,
                "estimate": task.estimate,
                "version": task.version,
            },
        )
        return render(
            request, "tasks/_quick_edit.html", work_context(request, task=task, form=form)
        )
    form = QuickEditForm(request.POST, workspace=workspace)
    if form.is_valid():
        try:
            services.task_update(
                actor=request.membership,
                task=task,
                expected_version=form.cleaned_data["version"],
                assignee=form.cleaned_data["assignee"],
                estimate=form.cleaned_data["estimate"],
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            if not request.htmx:
                return see_other(url("task", workspace, key=task.key))
            context = work_context(request, **card_context(workspace, task))
            response = render(request, "tasks/_card.html", context)
            return reswap(retarget(response, f"#task-{task.key}"), "outerHTML")
    return render(
        request,
        "tasks/_quick_edit.html",
        work_context(request, task=task, form=form),
        status=422,
    )
