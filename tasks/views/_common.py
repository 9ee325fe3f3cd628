"""What the work pages share: scoped lookups, context, responses (the task lookup is
tasks.selectors.get_task)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse

from alignment.http import WorkspaceRequest, is_partial, page_context, see_other
from alignment.models import Team, Workspace
from alignment.parsing import parse_id
from tasks.models import Task

# The work pages' name for the page context every workspace page shares.
work_context = page_context


def get_team(request: WorkspaceRequest, team_id: int) -> Team:
    """A team the member may see (a private team's non-members and guests get 404)."""
    return get_object_or_404(Team.objects.visible_to(request.membership), pk=team_id)


def task_url(name: str, workspace: Workspace, task: Task) -> str:
    return reverse(f"tasks:{name}", kwargs={"slug": workspace.slug, "key": task.key})


def url(name: str, workspace: Workspace, **kwargs: Any) -> str:
    return reverse(f"tasks:{name}", kwargs={"slug": workspace.slug, **kwargs})


# A filter id from the query string (anything but digits means "no filter") and a form's
# version field: both are alignment.parsing's parse_id under the name the call site reads by.
int_param = parse_id
parse_version = parse_id


# The work pages import these from here with the lookups above; each is defined once, in
# alignment.http.
__all__ = [
    "get_team",
    "int_param",
    "is_partial",
    "parse_version",
    "see_other",
    "task_url",
    "url",
    "work_context",
]
