"""Reads for pages outside this app, e.g. the task page's "Linked pull requests"."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString

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


def ci_states_by_key(workspace_id: int, keys: Sequence[str] | None = None) -> dict[str, str]:
    """Task key → the CI state of its open pull/merge requests (failing beats running beats
    queued beats passing), in one query for a whole board (only `keys` when given: the cards
    on the page); tasks without CI are absent."""
    order = {"failing": 0, "running": 1, "queued": 2, "passing": 3}
    states: dict[str, str] = {}
    links = ExternalLink.objects.for_workspace(workspace_id).filter(
        kind__in=[LinkKind.PULL_REQUEST, LinkKind.MERGE_REQUEST], state__in=["open", "draft"]
    )
    if keys is not None:
        links = links.filter(task_key__in=list(keys))
    links = (
        links.exclude(checks={})
        .only("task_key", "checks")
        .order_by("-updated_at", "-pk")[:BOARD_CI_LIMIT]
    )
    for link in links:
        state = link.ci_state
        current = states.get(link.task_key)
        if state and (current is None or order[state] < order[current]):
            states[link.task_key] = state
    return states


CI_BADGE_CLASS = {"passing": "ok", "failing": "bad", "running": "warn"}


def ci_card_badges(workspace_id: int, keys: Sequence[str]) -> dict[str, SafeString]:
    """The CI badge of each board card that has one (tasks.card_badges provider; one query)."""
    return {
        key: format_html(
            '<span class="badge ci-badge {}" data-ci="{}" title="CI on the linked pull/merge'
            ' request: {}">CI {}</span>',
            CI_BADGE_CLASS.get(state, "neutral"),
            state,
            state,
            state,
        )
        for key, state in ci_states_by_key(workspace_id, keys).items()
    }
