"""Link unfurls: a task, objective or key-result URL of this workspace posted in Slack gets a
preview (the `link_shared` event, answered with chat.unfurl through the outbox).

Only links to this site (`SITE_URL`'s host) under this integration's own workspace slug are
unfurled: a link to another workspace on the same server is left alone, whatever the person
sharing it may see there. The sharer must be a linked member of the workspace (anyone who
could open the link); the preview then shows what the page shows, numbers from the read model.

An unfurl is shown to the whole channel, not only to the sharer, and a channel may hold people
who are not on a private team. So a private team's work is never unfurled, whoever shares it
(its link stays a bare link); a task is unfurled only when the sharer may see it too; and a
guest's links to objectives or key results are not unfurled (those pages are not theirs).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

from alignment.models import Membership, Role, Workspace
from integrations import slack_blocks
from integrations.models import Channel, InboundDelivery
from integrations.outbox import outbox_enqueue
from integrations.registry import DeliveryIgnored
from integrations.slack_users import SlackUser, member_for, refusal
from okrs.models import KeyResult, Objective
from readmodel.selectors import rollups_for
from tasks.models import Task
from tasks.selectors import task_by_key

OBJECTIVE, KEY_RESULT = "objective", "key_result"  # readmodel NodeKind values
# The pages a link may point at, by URL name, and what they show.
TASK_PAGES = frozenset({"tasks:task", "tasks:task_edit"})
OBJECTIVE_PAGES = frozenset({"okrs:objective_detail", "okrs:objective_edit"})
KEY_RESULT_PAGES = frozenset({"okrs:key_result_edit", "okrs:key_result_check_in"})
MAX_LINKS = 10


def _ours(url: str, workspace: Workspace) -> tuple[str, dict[str, Any]] | None:
    """(URL name, kwargs) when `url` is a page of this workspace on this site."""
    site = urlsplit(settings.SITE_URL)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != site.netloc.lower():
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.kwargs.get("slug") != workspace.slug:
        return None  # another workspace's page: never unfurled here
    return match.view_name, match.kwargs


def _task_unfurl(workspace: Workspace, sharer: Membership, key: str) -> dict[str, Any] | None:
    task = task_by_key(workspace, key, viewer=sharer)
    if task is None or task.team.is_private:
        return None  # the channel is not the team: no title, no state, not even "private"
    task = Task.objects.select_related("workspace", "state", "assignee", "team").get(pk=task.pk)
    line = f"{slack_blocks.escape(task.team.name)}"
    if task.due_date:
        line += f" · due {task.due_date:%-d %b %Y}"
    summary = slack_blocks.section(slack_blocks.task_summary(task))
    return {"blocks": [summary, slack_blocks.context(line)]}


def _objective_unfurl(workspace: Workspace, url: str, objective_id: int) -> dict[str, Any] | None:
    objective = (
        Objective.objects.for_workspace(workspace)
        .select_related("period")
        .filter(pk=objective_id)
        .first()
    )
    if objective is None:
        return None
    row = rollups_for(workspace.pk, {OBJECTIVE: [objective.pk]}).get((OBJECTIVE, objective.pk))
    return {
        "blocks": [
            slack_blocks.section(
                f"*{slack_blocks.link(url, objective.title)}*\n{slack_blocks.rollup_text(row)}"
            ),
            slack_blocks.context(f"Objective · {slack_blocks.escape(objective.period.name)}"),
        ]
    }


def _key_result_unfurl(workspace: Workspace, url: str, key_result_id: int) -> dict[str, Any] | None:
    key_result = (
        KeyResult.objects.for_workspace(workspace)
        .select_related("objective")
        .filter(pk=key_result_id)
        .first()
    )
    if key_result is None:
        return None
    row = rollups_for(workspace.pk, {KEY_RESULT: [key_result.pk]}).get((KEY_RESULT, key_result.pk))
    return {
        "blocks": [
            slack_blocks.section(
                f"*{slack_blocks.link(url, key_result.title)}*\n{slack_blocks.rollup_text(row)}"
            ),
            slack_blocks.context(
                f"Key result of {slack_blocks.escape(key_result.objective.title)}"
            ),
        ]
    }


def unfurl_for(url: str, sharer: Membership) -> dict[str, Any] | None:
    """The preview of one link `sharer` posted, or None when it is not ours to show."""
    workspace = sharer.workspace
    found = _ours(url, workspace)
    if found is None:
        return None
    name, kwargs = found
    if name in TASK_PAGES:
        return _task_unfurl(workspace, sharer, str(kwargs["key"]))
    if refusal(sharer, "see objectives", role=Role.VIEWER, guests=False):
        return None  # a guest: the OKR pages answer them 403, so their links unfurl nothing
    if name in OBJECTIVE_PAGES:
        return _objective_unfurl(workspace, url, int(kwargs["objective_id"]))
    if name in KEY_RESULT_PAGES:
        return _key_result_unfurl(workspace, url, int(kwargs["key_result_id"]))
    return None


def link_shared(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """Answer `link_shared` with chat.unfurl for the links that are ours."""
    event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    assert isinstance(event, dict)
    links = [link for link in event.get("links") or [] if isinstance(link, dict)][:MAX_LINKS]
    sharer = member_for(delivery.integration, SlackUser.of(payload))
    if sharer is None:
        raise DeliveryIgnored("The person who shared the links is not a linked member.")
    unfurls = {
        str(link.get("url")): preview
        for link in links
        if (preview := unfurl_for(str(link.get("url") or ""), sharer)) is not None
    }
    if not unfurls:
        raise DeliveryIgnored("None of the shared links is a page of this workspace to show.")
    body: dict[str, Any] = {"api_method": "chat.unfurl", "unfurls": unfurls}
    channel = str(event.get("channel") or "")
    if event.get("source") == "composer" and event.get("unfurl_id"):
        # Still being written: Slack names the draft by unfurl_id, not by channel and ts.
        body.update(unfurl_id=str(event["unfurl_id"]), source="composer")
        channel = ""
    else:
        body["ts"] = str(event.get("message_ts") or "")
    outbox_enqueue(
        workspace=delivery.workspace,
        channel=Channel.SLACK,
        destination=channel,
        payload=body,
        dedupe_key=f"slack:{delivery.pk}:unfurl",
        event_type="slack.unfurl",
    )
