"""What each provider event does once its delivery is stored. Idempotent: upserts only.

Registered in `integrations.registry`; imported by `IntegrationsConfig.ready()`.
"""

from __future__ import annotations

from typing import Any

from integrations import task_bridge
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
) -> list[ExternalLink]:
    """One link per named key, updated in place when the same PR/commit comes again."""
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


@handles(Provider.GITHUB, "pull_request")
def github_pull_request(delivery: InboundDelivery, payload: Any) -> None:
    pr = _dict(_dict(payload).get("pull_request"))
    head = _dict(pr.get("head"))
    title = str(pr.get("title") or "")
    keys = task_keys_named([title, str(head.get("ref") or "")], _team_keys(delivery))
    state = _github_pr_state(pr)
    upsert_links(
        delivery,
        kind=LinkKind.PULL_REQUEST,
        external_id=str(pr.get("id") or pr.get("html_url") or ""),
        keys=keys,
        url=str(pr.get("html_url") or ""),
        title=f"#{pr.get('number')} {title}",
        state=state,
    )
    action = str(payload.get("action") or "")
    trigger = GITHUB_PR_TRIGGERS.get(action)
    if action == "closed" and state == "merged":
        trigger = task_bridge.PR_MERGED
    task_bridge.apply_trigger(delivery=delivery, keys=keys, trigger=trigger)


def _commit_links(
    delivery: InboundDelivery, commits: list[Any], branch: str, team_keys: dict[str, str]
) -> None:
    for commit in commits:
        c = _dict(commit)
        message = str(c.get("message") or "")
        keys = task_keys_named([message, branch], team_keys)
        upsert_links(
            delivery,
            kind=LinkKind.COMMIT,
            external_id=str(c.get("id") or ""),
            keys=keys,
            url=str(c.get("url") or ""),
            title=message.splitlines()[0] if message else "",
            state="pushed",
        )


@handles(Provider.GITHUB, "push")
def github_push(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    commits = data.get("commits") or []
    _commit_links(delivery, commits, branch_name(data.get("ref")), _team_keys(delivery))


GITLAB_MR_STATES = {"opened": "open", "closed": "closed", "merged": "merged", "locked": "closed"}
GITLAB_MR_TRIGGERS = {
    "open": task_bridge.PR_OPENED,
    "reopen": task_bridge.PR_OPENED,
    "merge": task_bridge.PR_MERGED,
}


@handles(Provider.GITLAB, "Merge Request Hook")
def gitlab_merge_request(delivery: InboundDelivery, payload: Any) -> None:
    mr = _dict(_dict(payload).get("object_attributes"))
    title = str(mr.get("title") or "")
    keys = task_keys_named([title, str(mr.get("source_branch") or "")], _team_keys(delivery))
    state = GITLAB_MR_STATES.get(str(mr.get("state") or ""), str(mr.get("state") or ""))
    if state == "open" and (mr.get("draft") or mr.get("work_in_progress")):
        state = "draft"
    upsert_links(
        delivery,
        kind=LinkKind.MERGE_REQUEST,
        external_id=str(mr.get("id") or mr.get("url") or ""),
        keys=keys,
        url=str(mr.get("url") or ""),
        title=f"!{mr.get('iid')} {title}",
        state=state,
    )
    trigger = GITLAB_MR_TRIGGERS.get(str(mr.get("action") or ""))
    task_bridge.apply_trigger(delivery=delivery, keys=keys, trigger=trigger)


@handles(Provider.GITLAB, "Push Hook")
def gitlab_push(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    _commit_links(
        delivery, data.get("commits") or [], branch_name(data.get("ref")), _team_keys(delivery)
    )
