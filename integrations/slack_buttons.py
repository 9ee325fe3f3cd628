"""Slack buttons on task messages: Assign to me and Move to… (block_actions, queued).

Done as the Slack user's linked Alignment member, with their role and what they may see
(`integrations.slack_interactivity` explains the rules); then the message shows the result:
a chat.update through the outbox, or, for an ephemeral message, a reply through its
response_url after commit.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.db import transaction

from alignment.errors import DomainError
from alignment.models import Membership
from integrations import slack_blocks
from integrations.models import Channel, InboundDelivery, Provider
from integrations.outbox import outbox_enqueue
from integrations.registry import DeliveryIgnored, handles
from integrations.slack_interactivity import acting_member, as_dict, int_id, post_ephemeral
from integrations.slack_users import not_linked_text, refusal
from tasks.models import Task, WorkflowState
from tasks.services import task_assign, task_transition


def _reply_in_place(url: str, message: dict[str, Any]) -> None:
    """Replace an ephemeral message (it has no ts to chat.update) through its response_url."""
    if not any(url.startswith(prefix) for prefix in settings.SLACK_RESPONSE_URL_PREFIXES):
        raise ValueError("The response_url is not a Slack URL; not answering.")
    response = httpx.post(
        url,
        json={"replace_original": True, **message},
        timeout=settings.OUTBOX_HTTP_TIMEOUT_SECONDS,
    )
    response.raise_for_status()


def _act(membership: Membership, action: dict[str, Any]) -> tuple[Task, str] | str:
    """Do what the button says; the task (re-read) and what was done, or why not."""
    action_id = str(action.get("action_id") or "")
    raw = (
        str(as_dict(action.get("selected_option")).get("value") or "")
        if action_id == slack_blocks.MOVE_TO_STATE
        else str(action.get("value") or "")
    )
    task_id, _, state_id = raw.partition(":")
    # Ids in the payload are never trusted: every lookup is scoped to what this person may see
    # (a private team's task, or another team's for a guest, is as missing as a deleted one).
    task = (
        Task.objects.visible_to(membership)
        .select_related("workspace", "state", "assignee", "team")
        .filter(pk=int_id(task_id))
        .first()
    )
    if task is None:
        return "That task no longer exists in this workspace."
    who = membership.user.display_name
    if action_id == slack_blocks.ASSIGN_TO_ME:
        task_assign(actor=membership, task=task, assignee=membership.user)
        done = f"Assigned to {who}."
    elif action_id == slack_blocks.MOVE_TO_STATE:
        state = (
            WorkflowState.objects.visible_to(membership)
            .filter(team_id=task.team_id, pk=int_id(state_id))
            .first()
        )
        if state is None:
            return f"That state is not in the workflow of {task.team.name}."
        task_transition(actor=membership, task=task, to_state=state, via="Slack")
        done = f"{who} moved it to {state.name}."
    else:
        raise DeliveryIgnored(f"Unknown action {action_id!r}.")
    task = Task.objects.select_related("workspace", "state", "assignee", "team").get(pk=task.pk)
    return task, done


@handles(Provider.SLACK, "block_actions")
def slack_block_actions(delivery: InboundDelivery, payload: Any) -> None:
    """Assign to me / Move to…: done as the linked member, then the message shows the result."""
    data = as_dict(payload)
    actions = [a for a in data.get("actions") or [] if isinstance(a, dict)]
    ours = [
        a
        for a in actions
        if a.get("action_id") in (slack_blocks.ASSIGN_TO_ME, slack_blocks.MOVE_TO_STATE)
    ]
    if not ours:
        raise DeliveryIgnored("No Alignment action in this block_actions payload.")
    container = as_dict(data.get("container"))
    channel = str(container.get("channel_id") or as_dict(data.get("channel")).get("id") or "")
    slack, membership = acting_member(delivery, data)
    if membership is None:
        text = not_linked_text(delivery.integration, slack)
        post_ephemeral(delivery, channel=channel, slack=slack, text=text)
        return
    if why_not := refusal(membership, "change tasks", guests=True):
        post_ephemeral(delivery, channel=channel, slack=slack, text=why_not)
        return
    try:
        outcome = _act(membership, ours[0])
    except DomainError as exc:
        outcome = exc.text
    if isinstance(outcome, str):
        post_ephemeral(delivery, channel=channel, slack=slack, text=outcome)
        return
    task, done = outcome
    headline = _headline(data) or slack_blocks.task_summary(task)
    message = slack_blocks.task_message(task, headline=headline, note=slack_blocks.escape(done))
    message["text"] = f"{task.key} {task.title}: {done}"
    if container.get("is_ephemeral"):
        url = str(data.get("response_url") or "")
        transaction.on_commit(lambda: _reply_in_place(url, message))
        return
    outbox_enqueue(
        workspace=delivery.workspace,
        channel=Channel.SLACK,
        destination=channel,
        payload={
            "api_method": "chat.update",
            "ts": str(container.get("message_ts") or as_dict(data.get("message")).get("ts")),
            **message,
        },
        dedupe_key=f"slack:{delivery.pk}:update",
        event_type="slack.update",
    )


def _headline(data: dict[str, Any]) -> str:
    """The first section of the message the button sits on (the notification's sentence)."""
    for block in as_dict(data.get("message")).get("blocks") or []:
        block = as_dict(block)
        if block.get("type") == "section":
            return str(as_dict(block.get("text")).get("text") or "")
    return ""
