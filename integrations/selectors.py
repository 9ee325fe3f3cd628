"""Reads for pages outside this app, e.g. the task page's "Linked pull requests"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString

from alignment.lookups import Texts
from alignment.models import TeamKeyAlias
from integrations.models import ExternalLink, LinkKind
from tasks.models import Task, TaskAlias, TaskKeyAlias


def links_for_task(task: Task) -> QuerySet[ExternalLink]:
    """PRs, MRs and commits naming the task's key or an old one (moves, merges, team keys,
    the key it had in another tracker)."""
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
    # A key from another tracker (Jira's WEB-2), read in the same query.
    imported = TaskKeyAlias.objects.for_workspace(task.workspace_id).filter(task=task)
    return ExternalLink.objects.for_workspace(task.workspace_id).filter(
        Q(task_key__in=keys) | Q(task_key__in=imported.values("key"))
    )


TASK_PAGE_LINKS = 50  # the task page's "Linked work", newest first


def task_page_links(task: Task) -> list[ExternalLink]:
    """The task page's linked work (fills tasks.page_selectors.task_links)."""
    return list(links_for_task(task).order_by("-updated_at", "-pk")[:TASK_PAGE_LINKS])


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
        links = links.filter(task_key__in_texts=Texts(keys))  # one parameter: a board's keys
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


@dataclass(frozen=True)
class PullRequestState:
    """What other apps may know of a linked pull/merge request (standards' checks read it)."""

    key: str
    state: str  # open / draft / merged / closed
    review_state: str  # review_requested / approved / changes_requested / ""
    ci_state: str  # failing / running / queued / passing / "" (no CI reported)
    url: str
    title: str


def _pr_state(link: ExternalLink) -> PullRequestState:
    return PullRequestState(
        key=link.task_key,
        state=link.state,
        review_state=link.review_state,
        ci_state=link.ci_state,
        url=link.url,
        title=link.title or link.external_id,
    )


PR_KINDS = (LinkKind.PULL_REQUEST, LinkKind.MERGE_REQUEST)


def pull_requests_of_task(task: Task) -> list[PullRequestState]:
    """The pull/merge requests naming the task (any of its keys), newest first."""
    return [_pr_state(link) for link in links_for_task(task).filter(kind__in=PR_KINDS)]


def pull_requests_by_key(
    workspace_id: int, keys: Sequence[str]
) -> dict[str, list[PullRequestState]]:
    """Task key → its pull/merge requests, for a page of tasks in one query (current keys)."""
    found: dict[str, list[PullRequestState]] = {}
    if not keys:
        return found
    links = ExternalLink.objects.for_workspace(workspace_id).filter(
        kind__in=PR_KINDS, task_key__in=list(keys)
    )
    for link in links.order_by("-updated_at", "-pk")[:BOARD_CI_LIMIT]:
        found.setdefault(link.task_key, []).append(_pr_state(link))
    return found
