"""What each provider event does once its delivery is stored. Idempotent: upserts only.

Registered in `integrations.registry`; imported by `IntegrationsConfig.ready()`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from integrations import review_rules, task_bridge
from integrations.keys import branch_name
from integrations.models import ExternalLink, InboundDelivery, LinkKind, Provider
from integrations.registry import handles
from integrations.team_keys import task_keys_named, team_key_names


def _team_keys(delivery: InboundDelivery) -> dict[str, str]:
    """Every key naming a team here (old ones too, after a rename) → its current key."""
    return team_key_names(delivery.workspace_id)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def upsert_links(
    delivery: InboundDelivery,
    *,
    kind: str,
    external_id: str,
    keys: list[str],
    url: str,
    title: str,
    state: str,
    **extra: str | None,
) -> list[ExternalLink]:
    """One link per named key, updated in place when the same PR/commit comes again.
    `extra`: branch, head_sha, review_state, set only when given (a review leaves CI alone)."""
    links = []
    for key in keys:
        link, _ = ExternalLink.objects.update_or_create(
            workspace_id=delivery.workspace_id,
            provider=delivery.provider,
            external_id=external_id[:200],
            task_key=key,
            defaults={
                "integration_id": delivery.integration_id,
                "kind": kind,
                "url": (url or "")[:500],
                "title": (title or "")[:300],
                "state": state[:20],
                **{name: value for name, value in extra.items() if value is not None},
            },
        )
        links.append(link)
    return links


@handles(Provider.GITHUB, "ping")
def github_ping(delivery: InboundDelivery, payload: Any) -> None:
    """GitHub's hello when a webhook is saved: nothing to do but record it as processed."""


def _github_pr_state(pr: dict[str, Any]) -> str:
    if pr.get("merged") or pr.get("merged_at"):
        return "merged"
    if pr.get("state") == "open" and pr.get("draft"):
        return "draft"
    return str(pr.get("state") or "")


GITHUB_PR_TRIGGERS = {
    "opened": task_bridge.PR_OPENED,
    "reopened": task_bridge.PR_OPENED,
    "ready_for_review": task_bridge.PR_OPENED,
}
# pull_request actions that apply a review rule (integrations.review_rules).
GITHUB_PR_REVIEW_RULES = {
    "review_requested": review_rules.REVIEW_REQUESTED,
    "converted_to_draft": review_rules.BACK_TO_DRAFT,
}


def github_pr_keys(delivery: InboundDelivery, pr: dict[str, Any]) -> list[str]:
    head = _dict(pr.get("head"))
    return task_keys_named(
        [str(pr.get("title") or ""), str(head.get("ref") or "")],
        _team_keys(delivery),
        delivery.workspace_id,
    )


def github_pr_link(
    delivery: InboundDelivery, pr: dict[str, Any], keys: list[str], **extra: str | None
) -> list[ExternalLink]:
    head = _dict(pr.get("head"))
    return upsert_links(
        delivery,
        kind=LinkKind.PULL_REQUEST,
        external_id=str(pr.get("id") or pr.get("html_url") or ""),
        keys=keys,
        url=str(pr.get("html_url") or ""),
        title=f"#{pr.get('number')} {pr.get('title') or ''}",
        state=_github_pr_state(pr),
        branch=str(head.get("ref") or "")[:255],
        head_sha=str(head.get("sha") or "")[:64],
        **extra,
    )


@handles(Provider.GITHUB, "pull_request")
def github_pull_request(delivery: InboundDelivery, payload: Any) -> None:
    """Opened/merged move by the state rules; review requested and closed without merge by
    the review rules; assigned, labeled, draft/ready and the rest refresh the link."""
    pr = _dict(_dict(payload).get("pull_request"))
    keys = github_pr_keys(delivery, pr)
    state = _github_pr_state(pr)
    action = str(payload.get("action") or "")
    review_state = {"review_requested": "review_requested"}.get(action)
    github_pr_link(delivery, pr, keys, review_state=review_state)
    trigger = GITHUB_PR_TRIGGERS.get(action)
    if action == "closed" and state == "merged":
        trigger = task_bridge.PR_MERGED
    task_bridge.apply_trigger(delivery=delivery, keys=keys, trigger=trigger)
    event = {"opened": "opened", "reopened": "opened", "review_requested": "review_requested"}
    task_bridge.publish_pr(
        delivery=delivery,
        keys=keys,
        action="merged" if trigger == task_bridge.PR_MERGED else event.get(action),
        title=str(pr.get("title") or ""),
        url=str(pr.get("html_url") or ""),
    )
    rule = GITHUB_PR_REVIEW_RULES.get(action)
    if action == "ready_for_review" and pr.get("requested_reviewers"):
        rule = review_rules.REVIEW_REQUESTED  # reviewers asked while it was a draft
    if action == "closed" and state != "merged":
        rule = review_rules.CLOSED_UNMERGED
    if rule:
        review_rules.apply_review(delivery=delivery, keys=keys, rule=rule)


def _commit_links(
    delivery: InboundDelivery, commits: list[Any], branch: str, team_keys: dict[str, str]
) -> None:
    """Link each pushed commit to the tasks it names (message or branch)."""
    for commit in commits:
        c = _dict(commit)
        message = str(c.get("message") or "")
        keys = task_keys_named([message, branch], team_keys, delivery.workspace_id)
        upsert_links(
            delivery,
            kind=LinkKind.COMMIT,
            external_id=str(c.get("id") or ""),
            keys=keys,
            url=str(c.get("url") or ""),
            title=message.splitlines()[0] if message else "",
            state="pushed",
            branch=branch[:255],
        )


def drop_rewritten_commits(delivery: InboundDelivery, data: dict[str, Any], branch: str) -> int:
    """A forced push rewrote the branch: links to its commits that the push no longer lists
    (the old `before` head and the commits recorded on this branch) are dropped. Commits the
    push lists again are kept (and re-linked by `_commit_links`)."""
    kept = {str(_dict(c).get("id") or "") for c in data.get("commits") or []}
    kept.add(str(data.get("after") or ""))
    stale = (
        ExternalLink.objects.for_workspace(delivery.workspace_id)
        .filter(provider=delivery.provider, kind=LinkKind.COMMIT)
        .filter(Q(branch=branch) | Q(external_id=str(data.get("before") or "")))
        .exclude(external_id__in=kept)
    )
    deleted, _ = stale.delete()
    return deleted


@handles(Provider.GITHUB, "push")
def github_push(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    branch = branch_name(data.get("ref"))
    if data.get("forced") and branch:
        drop_rewritten_commits(delivery, data, branch)
    _commit_links(delivery, data.get("commits") or [], branch, _team_keys(delivery))


GITLAB_MR_STATES = {"opened": "open", "closed": "closed", "merged": "merged", "locked": "closed"}
GITLAB_MR_TRIGGERS = {
    "open": task_bridge.PR_OPENED,
    "reopen": task_bridge.PR_OPENED,
    "merge": task_bridge.PR_MERGED,
}
# GitLab sends "approval"/"unapproval" per approver and "approved"/"unapproved" when the MR as
# a whole becomes (un)approved; both mean the same to a task.
GITLAB_REVIEW_STATES = {
    "approved": review_rules.APPROVED,
    "approval": review_rules.APPROVED,
    "unapproved": "",
    "unapproval": "",
}


def _gitlab_reviewers_added(payload: dict[str, Any]) -> bool:
    """An update that adds a reviewer (`changes.reviewers.current` has someone new)."""
    change = _dict(_dict(payload.get("changes")).get("reviewers"))
    before = {_dict(r).get("id") for r in change.get("previous") or []}
    return any(_dict(r).get("id") not in before for r in change.get("current") or [])


@handles(Provider.GITLAB, "Merge Request Hook")
def gitlab_merge_request(delivery: InboundDelivery, payload: Any) -> None:
    """Open/merge by the state rules; reviewers added, approvals and close without merge by
    the review rules; label and other updates refresh the link."""
    data = _dict(payload)
    mr = _dict(data.get("object_attributes"))
    title = str(mr.get("title") or "")
    keys = task_keys_named(
        [title, str(mr.get("source_branch") or "")], _team_keys(delivery), delivery.workspace_id
    )
    action = str(mr.get("action") or "")
    rule, review_state = _gitlab_review(action, data)
    upsert_links(
        delivery,
        kind=LinkKind.MERGE_REQUEST,
        external_id=str(mr.get("id") or mr.get("url") or ""),
        keys=keys,
        url=str(mr.get("url") or ""),
        title=f"!{mr.get('iid')} {title}",
        state=_gitlab_mr_state(mr),
        branch=str(mr.get("source_branch") or "")[:255],
        head_sha=str(_dict(mr.get("last_commit")).get("id") or "")[:64] or None,
        review_state=review_state,
    )
    trigger = GITLAB_MR_TRIGGERS.get(action)
    task_bridge.apply_trigger(delivery=delivery, keys=keys, trigger=trigger)
    pr_action = {task_bridge.PR_OPENED: "opened", task_bridge.PR_MERGED: "merged"}.get(
        trigger or ""
    )
    if rule == review_rules.REVIEW_REQUESTED:
        pr_action = "review_requested"
    task_bridge.publish_pr(
        delivery=delivery, keys=keys, action=pr_action, title=title, url=str(mr.get("url") or "")
    )
    if rule:
        review_rules.apply_review(delivery=delivery, keys=keys, rule=rule)


def _gitlab_mr_state(mr: dict[str, Any]) -> str:
    """Our link state for a merge request: GitLab's state, "draft" for an open draft."""
    state = GITLAB_MR_STATES.get(str(mr.get("state") or ""), str(mr.get("state") or ""))
    if state == "open" and (mr.get("draft") or mr.get("work_in_progress")):
        state = "draft"
    return state


def _gitlab_review(action: str, data: dict[str, Any]) -> tuple[str, str | None]:
    """(review rule to apply or "", review state to store or None) for an MR action."""
    review_state: str | None = GITLAB_REVIEW_STATES.get(action)
    if review_state:
        return review_rules.APPROVED, review_state
    if action == "update" and _gitlab_reviewers_added(data):
        return review_rules.REVIEW_REQUESTED, review_rules.REVIEW_REQUESTED
    if action == "close":
        return review_rules.CLOSED_UNMERGED, review_state
    if action == "update" and _dict(_dict(data.get("changes")).get("draft")).get("current"):
        return review_rules.BACK_TO_DRAFT, review_state
    return "", review_state


@handles(Provider.GITLAB, "Push Hook")
def gitlab_push(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    _commit_links(
        delivery, data.get("commits") or [], branch_name(data.get("ref")), _team_keys(delivery)
    )


# CI states and reviews register their handlers too (imported for the side effect).
from integrations import handlers_ci, handlers_review  # noqa: E402, F401
