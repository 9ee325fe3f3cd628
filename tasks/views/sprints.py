"""Closing a sprint: its numbers before you decide, where unfinished work goes, then the close."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from alignment.errors import DomainError
from alignment.http import WorkspaceRequest
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from tasks import services
from tasks.models import Sprint, SprintStatus
from tasks.sprint_scope import sprint_report, task_keys
from tasks.views._common import get_team, see_other, url, work_context

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
    team = get_team(request, team_id)
    sprint = Sprint.objects.for_workspace(workspace).filter(team=team, pk=sprint_id).first()
    if sprint is None:
        raise Http404("No such sprint in this team.")
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
    context = work_context(
        request,
        team=team,
        sprint=sprint,
        scope=scope,
        rows=[
            (name, help_text, tally, [keys[t] for t in tally.task_ids])
            for name, help_text, tally in rows
        ],
        burndown=burndown,
        form=form,
        error=error,
        board_url=url("board", workspace, team_id=team.pk),
    )
    return render(request, "tasks/sprint_close.html", context, status=409 if error else 200)
