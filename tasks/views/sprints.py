"""A team's sprints: list, plan, edit, start (committed vs capacity), close (where unfinished
work goes), delete an unstarted one, and one sprint's page with its scope history."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from alignment import timezones
from alignment.errors import DomainError, FieldErrors
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Team, User, Workspace
from alignment.tenancy import workspace_view
from tasks import services, sprint_pages
from tasks.errors import SprintStarted as SprintStartedError
from tasks.forms import SprintForm, team_people
from tasks.models import Sprint, SprintCapacity, SprintStatus
from tasks.sprint_scope import sprint_report, sprint_scope, task_keys
from tasks.views._common import get_team, parse_version, see_other, url, work_context

BACKLOG = "backlog"


class CloseForm(forms.Form):
    carry_to = forms.ChoiceField(label="Move unfinished work to")

    def __init__(self, *args: object, targets: list[Sprint], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [(str(s.pk), f"{s.name} ({s.get_status_display().lower()})") for s in targets]
        field = self.fields["carry_to"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [*choices, (BACKLOG, "The backlog")]
        field.initial = choices[0][0] if choices else BACKLOG


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def sprint_close(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, sprint_id: int
) -> HttpResponse:
    """The active sprint's numbers and what a close would carry over; POST closes it."""
    team, sprint = team_sprint(request, workspace, team_id, sprint_id)
    targets = list(
        Sprint.objects.for_workspace(workspace)
        .filter(team=team, status=SprintStatus.PLANNED)
        .order_by("start_date", "pk")
    )
    form = CloseForm(request.POST or None, targets=targets)
    error = None
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["carry_to"]
        target = None if choice == BACKLOG else next(t for t in targets if str(t.pk) == choice)
        try:
            carried = services.sprint_close(
                actor=request.membership, sprint=sprint, carry_to=target
            )
        except DomainError as exc:  # not active any more, a target closed meanwhile …
            error = exc.text
        else:
            where = target.name if target else "the backlog"
            messages.success(
                request,
                f"{sprint.name} is closed. {len(carried)} unfinished "
                f"{'task' if len(carried) == 1 else 'tasks'} moved to {where}.",
            )
            return see_other(url("sprint_close", workspace, team_id=team.pk, sprint_id=sprint.pk))
    scope, burndown = sprint_report(sprint)
    keys = task_keys(scope)
    rows = [
        ("Committed", "In the sprint when it started.", scope.committed),
        ("Added after start", "Created in it, moved or carried in later.", scope.added),
        ("Removed", "Moved out, canceled or merged.", scope.removed),
        ("Completed", "Done.", scope.completed),
        (
            "Carried over" if sprint.status == SprintStatus.CLOSED else "Open",
            "Moved on at the close."
            if sprint.status == SprintStatus.CLOSED
            else "Not done: a close moves these.",
            scope.open,
        ),
    ]
    return confirm_page(
        request,
        "tasks/sprint_close.html",
        error,
        team=team,
        sprint=sprint,
        scope=scope,
        rows=[
            (name, help_text, tally, [keys[t] for t in tally.task_ids])
            for name, help_text, tally in rows
        ],
        burndown=burndown,
        form=form,
        has_targets=bool(targets),
        board_url=url("board", workspace, team_id=team.pk),
    )


# ---- the team's sprints: list, plan, edit, start, delete, and one sprint's page ------------


def get_sprint(workspace: Workspace, team: Team, sprint_id: int) -> Sprint:
    """The team's sprint with this id, else 404 (another team's or workspace's is missing)."""
    sprint = (
        Sprint.objects.for_workspace(workspace)
        .filter(team=team, pk=sprint_id)
        .select_related("team")
        .first()
    )
    if sprint is None:
        raise Http404("No such sprint in this team.")
    return sprint


def team_sprint(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, sprint_id: int
) -> tuple[Team, Sprint]:
    """The team from the URL (404 when hidden) and its sprint with this id (404 otherwise)."""
    team = get_team(request, team_id)
    return team, get_sprint(workspace, team, sprint_id)


def confirm_page(
    request: WorkspaceRequest, template: str, error: str | None, **context: Any
) -> HttpResponse:
    """A sprint's confirm page (close, start, delete): 409 with the refusal when one came."""
    return render(
        request,
        template,
        work_context(request, error=error, **context),
        status=409 if error else 200,
    )


def sprint_url(name: str, workspace: Workspace, sprint: Sprint) -> str:
    return url(name, workspace, team_id=sprint.team_id, sprint_id=sprint.pk)


def members_of(workspace: Workspace, team: Team) -> list[User]:
    return list(team_people(workspace, team))


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def sprint_list(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """The team's sprints: active, planned, then closed ones a page at a time."""
    team = get_team(request, team_id)
    try:
        sprints = sprint_pages.team_sprints(workspace, team, before=request.GET.get("before", ""))
    except sprint_pages.BadCursor:
        return HttpResponseBadRequest("That page link is not valid; start from the first page.")
    context = work_context(
        request,
        team=team,
        sprints=sprints,
        list_url=url("sprints", workspace, team_id=team.pk),
        paged=bool(request.GET.get("before")),
    )
    return render(request, "tasks/sprints.html", context)


def _sprint_form_page(
    request: WorkspaceRequest, workspace: Workspace, team: Team, sprint: Sprint | None
) -> HttpResponse:
    members = members_of(workspace, team)
    capacities = (
        {c.user_id: c.points for c in SprintCapacity.objects.filter(sprint=sprint)}
        if sprint
        else {}
    )
    initial: dict[str, object] = {
        SprintForm.capacity_field(user): capacities.get(user.pk) for user in members
    }
    if sprint is not None:
        initial.update(
            name=sprint.name,
            start_date=sprint.start_date,
            end_date=sprint.end_date,
            goal=sprint.goal,
            version=sprint.version,
        )
    else:
        initial.update(sprint_pages.next_dates(workspace, team, today=timezones.today(workspace)))
    form = SprintForm(request.POST or None, initial=initial, members=members)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            fields = {k: data[k] for k in ("name", "start_date", "end_date", "goal")}
            try:
                if sprint is None:
                    saved = services.sprint_create(
                        actor=request.membership,
                        team=team,
                        capacities=form.capacities(),
                        **fields,
                    )
                    done = f"{saved.name} is planned."
                else:
                    saved = services.sprint_update(
                        actor=request.membership,
                        sprint=sprint,
                        expected_version=data.get("version"),
                        capacities=form.capacities(),
                        **fields,
                    )
                    done = f"{saved.name} is saved."
            except FieldErrors as exc:
                add_field_errors(form, exc)
            except DomainError as exc:  # a stale version, a sprint closed meanwhile
                form.add_error(None, exc.text)
            else:
                messages.success(request, done)
                return see_other(sprint_url("sprint", workspace, saved))
        status = 422
    context = work_context(
        request,
        team=team,
        sprint=sprint,
        form=form,
        cancel_url=sprint_url("sprint", workspace, sprint)
        if sprint
        else url("sprints", workspace, team_id=team.pk),
    )
    return render(request, "tasks/sprint_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def sprint_new(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Plan a sprint: name, dates, goal and each team member's capacity (members only)."""
    return _sprint_form_page(request, workspace, get_team(request, team_id), None)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def sprint_edit(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, sprint_id: int
) -> HttpResponse:
    """Edit a sprint that is not closed, with a versioned save (members only)."""
    team, sprint = team_sprint(request, workspace, team_id, sprint_id)
    if sprint.status == SprintStatus.CLOSED:
        messages.error(request, f"{sprint.name} is closed: its plan is history now.")
        return see_other(sprint_url("sprint", workspace, sprint))
    return _sprint_form_page(request, workspace, team, sprint)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def sprint_detail(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, sprint_id: int
) -> HttpResponse:
    """One sprint: its progress (read model), numbers, and scope history."""
    team, sprint = team_sprint(request, workspace, team_id, sprint_id)
    scope = sprint_scope(sprint)
    context = work_context(
        request,
        team=team,
        sprint=sprint,
        scope=scope,
        progress=sprint_pages.sprint_progress(workspace, sprint),
        forecast=sprint_pages.sprint_forecast(workspace, sprint),
        history=sprint_pages.scope_history(sprint),
        capacity=sprint_pages.start_preview(workspace, sprint)
        if sprint.status == SprintStatus.PLANNED
        else None,
        board_url=url("board", workspace, team_id=team.pk) + f"?sprint={sprint.pk}",
    )
    return render(request, "tasks/sprint_detail.html", context)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def sprint_start(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, sprint_id: int
) -> HttpResponse:
    """Confirm a start: committed points against capacity per person and in total."""
    team, sprint = team_sprint(request, workspace, team_id, sprint_id)
    error = None
    if request.method == "POST":
        try:
            services.sprint_start(actor=request.membership, sprint=sprint)
        except DomainError as exc:  # another sprint is active, this one started meanwhile
            error = exc.text
        else:
            messages.success(request, f"{sprint.name} has started.")
            return see_other(url("board", workspace, team_id=team.pk))
    preview = sprint_pages.start_preview(workspace, sprint)
    return confirm_page(
        request,
        "tasks/sprint_start.html",
        error,
        team=team,
        sprint=sprint,
        preview=preview,
        cancel_url=sprint_url("sprint", workspace, sprint),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def sprint_delete(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, sprint_id: int
) -> HttpResponse:
    """Confirm and delete a sprint that has not started; its tasks go back to the backlog."""
    team, sprint = team_sprint(request, workspace, team_id, sprint_id)
    error = None
    if request.method == "POST":
        try:
            moved = services.sprint_delete(
                actor=request.membership,
                sprint=sprint,
                expected_version=parse_version(request.POST.get("version")),
            )
        except DomainError as exc:  # started meanwhile, or edited since the page loaded
            error = exc.text
        else:
            messages.success(
                request,
                f"{sprint.name} is deleted. {moved} {'task' if moved == 1 else 'tasks'} "
                "went back to the backlog.",
            )
            return see_other(url("sprints", workspace, team_id=team.pk))
    elif sprint.status != SprintStatus.PLANNED:
        error = SprintStartedError(
            sprint=sprint.name, status=sprint.get_status_display().lower()
        ).text
    return confirm_page(
        request,
        "tasks/sprint_delete.html",
        error,
        team=team,
        sprint=sprint,
        tasks=sprint.tasks.count(),
        cancel_url=sprint_url("sprint", workspace, sprint),
    )
