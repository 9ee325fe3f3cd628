"""Keyboard-speed changes: one field of a focused card (state, assignee, priority, labels,
points), undo of the last move or bulk change, and archive / delete / restore of a task.

Every change that can be undone answers with an undo toast: as an `X-Undo-Toast` header for
board.js (moves and shortcuts), as `?undo=<token>` on the page a form redirects to."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, add_field_errors
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from tasks import page_selectors, services, undo
from tasks.forms import PersonField, people_of
from tasks.models import Label, Priority, Task, TaskLabel
from tasks.selectors import get_task
from tasks.services.archive import restorable_until
from tasks.views._common import get_team, see_other, url, work_context
from tasks.views._undo import toast
from tasks.views.board import card_response

FIELD_NAMES = {
    "state": "State",
    "assignee": "Assignee",
    "priority": "Priority",
    "labels": "Labels",
    "points": "Points",
}


class FieldForm(forms.Form):
    """One field of a task, for the card shortcuts; `version` makes the save versioned."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, name: str, task: Task, workspace: Workspace, **kwargs: Any):
        kwargs.setdefault("auto_id", "field-%s")  # ids unique beside the board's filter form
        super().__init__(*args, **kwargs)
        self.name = name
        if name == "state":
            self.fields["value"] = forms.ModelChoiceField(
                queryset=task.team.workflow_states.order_by("position", "pk"),
                empty_label=None,
                label="State",
            )
        elif name == "assignee":
            self.fields["value"] = PersonField(
                queryset=people_of(workspace),
                required=False,
                empty_label="Nobody",
                label="Assignee",
            )
        elif name == "priority":
            self.fields["value"] = forms.TypedChoiceField(
                choices=Priority.choices, coerce=int, label="Priority"
            )
        elif name == "labels":
            self.fields["value"] = forms.ModelMultipleChoiceField(
                queryset=Label.objects.for_workspace(workspace).order_by("name"),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label="Labels",
            )
        else:
            self.fields["value"] = forms.DecimalField(
                min_value=0, max_digits=6, decimal_places=1, required=False, label="Points"
            )


def _field_initial(name: str, task: Task) -> Any:
    if name == "labels":
        return list(TaskLabel.objects.filter(task=task).values_list("label_id", flat=True))
    return {
        "state": task.state_id,
        "assignee": task.assignee_id,
        "priority": task.priority,
        "points": task.estimate,
    }[name]


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER, guests=True)
def task_field(
    request: WorkspaceRequest, workspace: Workspace, key: str, name: str
) -> HttpResponse:
    """GET: the small form of one field (a dialog); POST: save it, answer the fresh card with
    an undo toast. A viewer gets no form at all (403 before anything renders)."""
    if name not in FIELD_NAMES:
        raise Http404("No such field.")
    task = get_task(request, key)
    as_row = request.GET.get("as") == "row" or request.POST.get("as") == "row"
    if request.method == "GET":
        form = FieldForm(
            name=name,
            task=task,
            workspace=workspace,
            initial={"value": _field_initial(name, task), "version": task.version},
        )
        return _field_form(request, task, form, name, as_row)
    form = FieldForm(request.POST, name=name, task=task, workspace=workspace)
    if form.is_valid():
        value = form.cleaned_data["value"]
        field = {"points": "estimate"}.get(name, name)
        before = undo.snapshot([task], (field,))
        try:
            if name == "labels":
                services.task_update(
                    actor=request.membership,
                    task=task,
                    expected_version=form.cleaned_data["version"],
                    labels=value,
                )
            else:
                services.task_update(
                    actor=request.membership,
                    task=task,
                    expected_version=form.cleaned_data["version"],
                    **{field: value},
                )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            response = card_response(request, workspace, task, as_row=as_row)
            message = f"{task.key}: {FIELD_NAMES[name].lower()} changed."
            raw = undo.token(request.membership, [task], before, message)
            return undo.attach_toast(response, toast(request, workspace, message, raw))
    return _field_form(request, task, form, name, as_row, status=422)


def _field_form(
    request: WorkspaceRequest,
    task: Task,
    form: FieldForm,
    name: str,
    as_row: bool,
    status: int = 200,
) -> HttpResponse:
    context = work_context(
        request, task=task, form=form, name=name, title=FIELD_NAMES[name], as_row=as_row
    )
    return render(request, "tasks/_field_form.html", context, status=status)


@require_POST
@workspace_view(read=Role.MEMBER, write=Role.MEMBER, guests=True)
def undo_change(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Revert the change of an undo toast (all of its tasks or none); htmx: refresh the page."""
    tasks = undo.undo(actor=request.membership, raw_token=request.POST.get("token", ""))
    keys = ", ".join(t.key for t in tasks[:5]) + (" …" if len(tasks) > 5 else "")
    messages.success(request, f"Undone: {keys}.")
    target = _without_undo(request.POST.get("next", ""))
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        if request.htmx:
            return HttpResponseClientRefresh()
        target = url("boards", workspace)
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return see_other(target)


def _without_undo(target: str) -> str:
    """The page to go back to, without its ?undo= (a spent token would offer Undo again)."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "undo"]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def _archive(
    request: WorkspaceRequest, workspace: Workspace, key: str, *, delete: bool
) -> HttpResponse:
    task = get_task(request, key)
    version = request.POST.get("version", "")
    before = undo.snapshot([task], (undo.RESTORE,))
    if delete:
        services.task_delete(
            actor=request.membership,
            task=task,
            expected_version=int(version) if version.isdigit() else None,
        )
        message = f"{task.key} deleted."
    else:
        services.task_archive(
            actor=request.membership,
            task=task,
            expected_version=int(version) if version.isdigit() else None,
        )
        message = f"{task.key} archived."
    raw = undo.token(request.membership, [task], before, message)
    target = url("board", workspace, team_id=task.team_id)
    return see_other(f"{target}?undo={raw}")


@require_POST
@workspace_view(read=Role.MEMBER, write=Role.MEMBER, guests=True)
def task_archive(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    return _archive(request, workspace, key, delete=False)


@require_POST
@workspace_view(read=Role.MEMBER, write=Role.MEMBER, guests=True)
def task_delete(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    return _archive(request, workspace, key, delete=True)


def _of_team(request: WorkspaceRequest, team: Team) -> Any:
    """The team's tasks the member may see, archived ones included (not merged tombstones)."""
    return (
        Task.all_objects.visible_to(request.membership)
        .filter(team=team, merged_into__isnull=True)
        .select_related("team", "state", "assignee")
    )


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def archived_list(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """A team's archived tasks (and deleted ones still in their undo window), newest first."""
    team = get_team(request, team_id)
    rows = list(
        _of_team(request, team)
        .filter(archived_at__isnull=False)
        .order_by("-archived_at", "-pk")[: page_selectors.MAX_PAGE]
    )
    now = timezone.now()
    shown = []
    for task in rows:
        until = restorable_until(task)
        if until is not None and until < now:
            continue  # deleted for good: a tombstone for history only
        shown.append((task, until))
    return render(request, "tasks/archived.html", work_context(request, team=team, rows=shown))


@require_POST
@workspace_view(read=Role.MEMBER, write=Role.MEMBER, guests=True)
def task_restore(
    request: WorkspaceRequest, workspace: Workspace, team_id: int, key: str
) -> HttpResponse:
    team = get_team(request, team_id)
    task = get_object_or_404(_of_team(request, team).with_key(key))
    services.task_restore(actor=request.membership, task=task)
    messages.success(request, f"{task.key} restored.")
    return see_other(url("archived", workspace, team_id=team.pk))
