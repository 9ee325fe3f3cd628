"""Reads for pages outside this app, e.g. the task page's "Linked pull requests"."""

from __future__ import annotations

from django.db.models import QuerySet

from alignment.models import TeamKeyAlias
from integrations.models import ExternalLink, LinkKind
from tasks.models import Task, TaskAlias


def links_for_task(task: Task) -> QuerySet[ExternalLink]:
    """PRs, MRs and commits naming the task's key or an old one (moves, merges, team keys)."""
    numbers = [(task.team_id, task.team.key, task.number)] + list(
        TaskAlias.objects.for_workspace(task.workspace_id)
        .filter(task=task)
        .values_list("team_id", "team__key", "number")
    )
    # Keys a team had before its key changed name the same tasks.
    old_team_keys: dict[int, list[str]] = {}
    for team_id, old_key in (
        TeamKeyAlias.objects.for_workspace(task.workspace_id)
        .filter(team_id__in={team_id for team_id, _, _ in numbers})
        .values_list("team_id", "key")
    ):
        old_team_keys.setdefault(team_id, []).append(old_key)
    keys = [
        f"{team_key}-{number}"
        for team_id, current_key, number in numbers
        for team_key in [current_key, *old_team_keys.get(team_id, [])]
    ]
    return ExternalLink.objects.for_workspace(task.workspace_id).filter(task_key__in=keys)


BOARD_CI_LIMIT = 1000  # open PRs/MRs with CI per workspace read for one board render


def ci_states_by_key(workspace_id: int) -> dict[str, str]:
    """Task key → the CI state of its open pull/merge requests (failing beats running beats
    queued beats passing), in one query for a whole board; tasks without CI are absent."""
    order = {"failing": 0, "running": 1, "queued": 2, "passing": 3}
    states: dict[str, str] = {}
    links = (
        ExternalLink.objects.for_workspace(workspace_id)
        .filter(
            kind__in=[LinkKind.PULL_REQUEST, LinkKind.MERGE_REQUEST], state__in=["open", "draft"]
        )
        .exclude(checks={})
        .only("task_key", "checks")
        .order_by("-updated_at", "-pk")[:BOARD_CI_LIMIT]
    )
    for link in links:
        state = link.ci_state
        current = states.get(link.task_key)
        if state and (current is None or order[state] < order[current]):
            states[link.task_key] = state
    return states
