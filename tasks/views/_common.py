"""What the work pages share: scoped lookups, context, responses."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from alignment.http import WorkspaceRequest
from alignment.models import Role, Team, Workspace
from alignment.parsing import is_digits
from tasks import selectors
from tasks.models import Task


def work_context(request: WorkspaceRequest, **extra: Any) -> dict[str, Any]:
    """What every work page needs: the workspace and what the member may do."""
    membership = request.membership
    return {
        "workspace": request.workspace,
        "me": membership,
        "can": {
            "write": membership.has_role(Role.MEMBER),
            "admin": membership.has_role(Role.ADMIN),
        },
        **extra,
    }


def get_team(request: WorkspaceRequest, team_id: int) -> Team:
    """A team the member may see (a private team's non-members and guests get 404)."""
    return get_object_or_404(Team.objects.visible_to(request.membership), pk=team_id)


def get_task(request: WorkspaceRequest, key: str) -> Task:
    """The task with this key (or an old key of it) that the member may see, else 404."""
    task = selectors.task_by_key(request.workspace, key, viewer=request.membership)
    if task is None:
        raise Http404("No such task in this workspace.")
    return task


def task_url(name: str, workspace: Workspace, task: Task) -> str:
    return reverse(f"tasks:{name}", kwargs={"slug": workspace.slug, "key": task.key})


def url(name: str, workspace: Workspace, **kwargs: Any) -> str:
    return reverse(f"tasks:{name}", kwargs={"slug": workspace.slug, **kwargs})


def see_other(location: str) -> HttpResponseRedirect:
    """303: after a POST the browser GETs the next page, so reload never re-submits."""
    response = HttpResponseRedirect(location)
    response.status_code = 303
    return response


def is_partial(request: WorkspaceRequest) -> bool:
    """An htmx request that swaps a fragment (a history restore wants the full page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def int_param(value: str | None) -> int | None:
    """A filter id from the query string; anything but digits means 'no filter'."""
    return int(value) if value and is_digits(value) else None


def parse_version(value: str | None) -> int | None:
    return int(value) if value and is_digits(value) else None
