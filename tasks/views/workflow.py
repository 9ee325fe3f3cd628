"""A team's workflow settings (admins): reorder, rename, WIP limits, categories, new states."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from tasks import page_selectors, services
from tasks.forms import WorkflowStateForm
from tasks.models import WorkflowState
from tasks.views._common import get_team, see_other, url, work_context


def _page(
    request: WorkspaceRequest,
    workspace: Workspace,
    team: Team,
    *,
    new_form: WorkflowStateForm | None = None,
    errors_for: tuple[int, WorkflowStateForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    states = page_selectors.team_states(workspace, team)
    rows = []
    for state in states:
        if errors_for and errors_for[0] == state.pk:
            form = errors_for[1]
        else:
            form = WorkflowStateForm(
                prefix=f"s{state.pk}",
                initial={
                    "name": state.name,
                    "category": state.category,
                    "wip_limit": state.wip_limit,
                    "position": state.position,
                },
            )
        rows.append((state, form))
    context = work_context(
        request,
        team=team,
        rows=rows,
        new_form=new_form or WorkflowStateForm(prefix="new"),
    )
    return render(request, "tasks/workflow.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.ADMIN, guests=True)
def workflow_settings(
    request: WorkspaceRequest, workspace: Workspace, team_id: int
) -> HttpResponse:
    """The team's columns in order; admins add a new one here (POST)."""
    team = get_team(request, team_id)
    if request.method == "GET":
        return _page(request, workspace, team)
    form = WorkflowStateForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        try:
            state = services.workflow_state_create(
                actor=request.membership,
                team=team,
                name=data["name"],
                category=data["category"],
                wip_limit=data["wip_limit"],
                position=data["position"],
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"{state.name} added to {team.name}'s workflow.")
            return see_other(url("workflow", workspace, team_id=team.pk))
    return _page(request, workspace, team, new_form=form, status=422)


def _reorder(request: WorkspaceRequest, team: Team, state: WorkflowState, step: int) -> None:
    """Swap a column with its neighbour, then number all columns 0..n-1 (few rows)."""
    states = list(WorkflowState.objects.filter(team=team).order_by("position", "pk"))
    index = next(i for i, s in enumerate(states) if s.pk == state.pk)
    target = index + step
    if not 0 <= target < len(states):
        return
    states[index], states[target] = states[target], states[index]
    for position, each in enumerate(states):
        if each.position != position:
            services.workflow_state_update(actor=request.membership, state=each, position=position)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.ADMIN, guests=True)
def workflow_state_edit(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, workflow_state_id: int
) -> HttpResponse:
    """Rename, re-categorize or limit one column, or move it left/right (`move=up|down`)."""
    team = get_team(request, team_id)
    state = get_object_or_404(
        WorkflowState.objects.for_workspace(workspace).filter(team=team), pk=workflow_state_id
    )
    move = request.POST.get("move")
    if move in ("up", "down"):
        _reorder(request, team, state, -1 if move == "up" else 1)
        return see_other(url("workflow", workspace, team_id=team.pk))
    form = WorkflowStateForm(request.POST, prefix=f"s{state.pk}")
    if form.is_valid():
        data = form.cleaned_data
        changes = {
            "name": data["name"],
            "category": data["category"],
            "wip_limit": data["wip_limit"],
        }
        if data["position"] is not None:
            changes["position"] = data["position"]
        try:
            services.workflow_state_update(actor=request.membership, state=state, **changes)
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"{state.name} saved.")
            return see_other(url("workflow", workspace, team_id=team.pk))
    return _page(request, workspace, team, errors_for=(state.pk, form), status=422)
