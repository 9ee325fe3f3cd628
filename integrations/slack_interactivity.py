"""Slack, acting: shortcuts and modals (create a task, check in), and buttons on messages.

Every request was verified and stored by `integrations.inbound` first. Then:

    message_action "alignment_create_task"   inline: views.open, the new-task modal
    shortcut "alignment_check_in"            inline: views.open, the check-in modal
    /align checkin                           inline: the same modal (slack_commands)
    view_submission                          inline: the write, through the same service as
                                             the pages; refusals come back as field errors
    block_actions (Assign to me, Move to…)   queued: the write, then chat.update of the
                                             message through the outbox

A trigger_id is good for 3 s, so modals open inside the request: after the handler's
transaction commits (no database lock is held over the network), with a bounded timeout; a
failure is written on the delivery. Everything is done as the Slack user's linked Alignment
member (integrations.slack_users), with that member's role and what they may see
(`visible_to`): a viewer is told, not obeyed; a guest creates and changes tasks of their own
teams only, and cannot check in (OKRs are not theirs to see); a private team's tasks are not
there for anyone who is not on it.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from django.db import transaction

from alignment import timezones
from alignment.errors import DomainError
from alignment.models import Membership, Team
from integrations import slack_api, slack_blocks
from integrations.models import Channel, DeliveryStatus, InboundDelivery, Provider
from integrations.outbox import outbox_enqueue
from integrations.registry import DeliveryIgnored, handles
from integrations.slack_users import SlackUser, member_for, not_linked_text, refusal
from okrs.errors import CheckInNotAccepted
from okrs.models import KeyResult, ObjectiveStatus
from okrs.services import key_result_check_in
from readmodel.selectors import rollups_for
from tasks.models import Task
from tasks.services import task_create

logger = logging.getLogger(__name__)

# Callback ids: the shortcuts in the app manifest (docs/integrations.md) and our modals.
CREATE_TASK_SHORTCUT = "alignment_create_task"
CHECK_IN_SHORTCUT = "alignment_check_in"
CREATE_TASK_VIEW = "alignment_task_create"
CHECK_IN_VIEW = "alignment_check_in"
# Block and action ids of the modals' inputs.
TITLE, TEAM, DESCRIPTION = "title", "team", "description"
# "key_result" is also the readmodel NodeKind value of key results.
KEY_RESULT, VALUE, CONFIDENCE, NOTE = "key_result", "value", "confidence", "note"
MAX_KEY_RESULTS = 100  # Slack's cap on a menu's options


# --- Helpers --------------------------------------------------------------------------------


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def acting_member(delivery: InboundDelivery, payload: Any) -> tuple[SlackUser, Membership | None]:
    slack = SlackUser.of(payload)
    return slack, member_for(delivery.integration, slack)


def open_view(delivery: InboundDelivery, trigger_id: str, view: dict[str, Any]) -> None:
    """views.open right after the handler's transaction commits; a refusal (an expired
    trigger, a bad view) marks the delivery failed with Slack's error."""
    token, pk = delivery.integration.bot_token, delivery.pk

    def send() -> None:
        answer = slack_api.call(
            "views.open",
            token=token,
            body={"trigger_id": trigger_id, "view": view},
            timeout=slack_api.interactive_timeout(),
        )
        if not answer.ok:
            logger.warning("Delivery %s: views.open failed: %s", pk, answer.error)
            InboundDelivery.objects.filter(pk=pk).update(
                status=DeliveryStatus.FAILED, error=f"views.open: {answer.error}"[:2000]
            )

    if not trigger_id:
        raise ValueError("The request carries no trigger_id; no modal can be opened.")
    transaction.on_commit(send)


def link_notice(delivery: InboundDelivery, slack: SlackUser) -> dict[str, Any]:
    """The modal an unknown Slack user gets instead of ours: how to link their account."""
    return slack_blocks.notice("Link your account", not_linked_text(delivery.integration, slack))


def post_ephemeral(
    delivery: InboundDelivery, *, channel: str, slack: SlackUser, text: str, suffix: str = "reply"
) -> None:
    """A message only this Slack user sees, through the outbox (retried, never lost)."""
    if not channel:
        return
    outbox_enqueue(
        workspace=delivery.workspace,
        channel=Channel.SLACK,
        destination=channel,
        payload={"api_method": "chat.postEphemeral", "user": slack.user_id, "text": text},
        dedupe_key=f"slack:{delivery.pk}:{suffix}",
        event_type="slack.reply",
    )


def _values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`view.state.values` as {block_id: the element state} (one element per input block)."""
    values = as_dict(as_dict(view.get("state")).get("values"))
    return {
        block: next(iter(actions.values()), {})
        for block, actions in values.items()
        if isinstance(actions, dict)
    }


def _text(values: dict[str, dict[str, Any]], block: str) -> str:
    return str(values.get(block, {}).get("value") or "").strip()


def _selected(values: dict[str, dict[str, Any]], block: str) -> str:
    return str(as_dict(values.get(block, {}).get("selected_option")).get("value") or "")


def int_id(raw: str) -> int:
    """An id from a payload, or 0 (which names no row) when it is not one."""
    return int(raw) if raw.isdigit() else 0


def _field_errors(error: DomainError, blocks: dict[str, str], fallback: str) -> dict[str, str]:
    """A service's refusal as a modal's `errors`: each field's message under its block."""
    errors: dict[str, str] = {}
    for name, messages in error.fields.items():
        block = blocks.get(name, fallback)
        errors.setdefault(block, " ".join(messages))
    return errors or {fallback: error.text}


def refuse(errors: dict[str, str]) -> DeliveryIgnored:
    """A submission refused: the modal stays open showing `errors`; nothing is written."""
    text = "; ".join(f"{block}: {message}" for block, message in errors.items())
    return DeliveryIgnored(
        f"Refused: {text}"[:2000], reply={"response_action": "errors", "errors": errors}
    )


# --- Create a task from a message -----------------------------------------------------------


def _task_modal(membership: Membership, payload: dict[str, Any]) -> dict[str, Any]:
    message = as_dict(payload.get("message"))
    text = str(message.get("text") or "")
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    # Only the teams this person may see: a guest's own, a member's public and private ones.
    teams = list(Team.objects.visible_to(membership).order_by("name", "pk"))
    team_options = [slack_blocks.option(f"{t.name} ({t.key})", str(t.pk)) for t in teams]
    author = str(message.get("user") or "")
    description = text + (f"\n\n(From a Slack message by <@{author}>.)" if author else "")
    metadata = {
        "channel": str(as_dict(payload.get("channel")).get("id") or ""),
        "message_ts": str(payload.get("message_ts") or ""),
    }
    team_select: dict[str, Any] = {
        "type": "static_select",
        "action_id": TEAM,
        "placeholder": slack_blocks.plain("Choose a team"),
        "options": team_options[: slack_blocks.MAX_OPTIONS],
    }
    if len(team_options) == 1:
        team_select["initial_option"] = team_options[0]
    return slack_blocks.modal(
        title="New task",
        callback_id=CREATE_TASK_VIEW,
        submit="Create",
        private_metadata=json.dumps(metadata),
        blocks=[
            {
                "type": "input",
                "block_id": TITLE,
                "label": slack_blocks.plain("Title"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": TITLE,
                    "initial_value": first_line[:255],
                    "max_length": 255,
                },
            },
            {
                "type": "input",
                "block_id": TEAM,
                "label": slack_blocks.plain("Team"),
                "element": team_select,
            },
            {
                "type": "input",
                "block_id": DESCRIPTION,
                "optional": True,
                "label": slack_blocks.plain("Description"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": DESCRIPTION,
                    "multiline": True,
                    "initial_value": description[:3000],
                },
            },
        ],
    )


@handles(Provider.SLACK, "message_action", inline=True)
def slack_message_shortcut(delivery: InboundDelivery, payload: Any) -> None:
    """ "Create a task" on a message: the modal, or why not (unknown person, viewer)."""
    data = as_dict(payload)
    if data.get("callback_id") != CREATE_TASK_SHORTCUT:
        raise DeliveryIgnored(f"Unknown message shortcut {data.get('callback_id')!r}.")
    slack, membership = acting_member(delivery, data)
    trigger = str(data.get("trigger_id") or "")
    if membership is None:
        view = link_notice(delivery, slack)
    elif why_not := refusal(membership, "create tasks", guests=True):
        view = slack_blocks.notice("New task", why_not)
    else:
        view = _task_modal(membership, data)
    open_view(delivery, trigger, view)


def _submit_task(
    delivery: InboundDelivery, data: dict[str, Any], membership: Membership
) -> dict[str, Any] | None:
    view = as_dict(data.get("view"))
    values = _values(view)
    # The id comes from the payload: a team the person may not see is refused like a missing one.
    team = Team.objects.visible_to(membership).filter(pk=int_id(_selected(values, TEAM))).first()
    if team is None:
        raise refuse({TEAM: f"Choose one of your teams of {delivery.workspace.name}."})
    try:
        task = task_create(
            actor=membership,
            team=team,
            title=_text(values, TITLE),
            description=_text(values, DESCRIPTION),
        )
    except DomainError as exc:
        fields = {"title": TITLE, "description": DESCRIPTION}
        raise refuse(_field_errors(exc, fields, TITLE)) from exc
    task = Task.objects.select_related("workspace", "state", "assignee", "team").get(pk=task.pk)
    try:
        metadata = as_dict(json.loads(str(view.get("private_metadata") or "{}")))
    except json.JSONDecodeError:
        metadata = {}
    post_ephemeral(
        delivery,
        channel=str(metadata.get("channel") or ""),
        slack=SlackUser.of(data),
        text=f"Created {slack_blocks.task_summary(task)}",
        suffix="task-created",
    )
    return None  # the modal closes


# --- Check in on a key result ---------------------------------------------------------------


def _key_results_for(membership: Membership) -> list[KeyResult]:
    """Key results open for check-ins this period: the person's own first."""
    today = timezones.today_of(membership.workspace_id)
    rows = (
        KeyResult.objects.for_workspace(membership.workspace_id)
        .filter(
            objective__period__start__lte=today,
            objective__period__end__gte=today,
        )
        .exclude(objective__status__in=[ObjectiveStatus.CLOSED, ObjectiveStatus.ARCHIVED])
        .select_related("objective")
        .order_by("objective__title", "position", "pk")
    )
    krs = list(rows[: MAX_KEY_RESULTS * 2])
    krs.sort(key=lambda kr: kr.owner_id != membership.user_id)  # stable: own ones first
    return krs[:MAX_KEY_RESULTS]


def _number(value: Decimal, unit: str) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"
    return f"{text.rstrip('0').rstrip('.') if '.' in text else text}{unit and ' ' + unit}"


def _check_in_modal(membership: Membership) -> dict[str, Any]:
    krs = _key_results_for(membership)
    if not krs:
        return slack_blocks.notice(
            "Check in", f"No key result of {membership.workspace.name} is open this period."
        )
    # The numbers in the menu are the read model's: what the KR's page shows.
    rows = rollups_for(membership.workspace_id, {KEY_RESULT: [kr.pk for kr in krs]})
    options = [
        slack_blocks.option(
            f"{kr.title} · {rows[(KEY_RESULT, kr.pk)].percent}%"
            if (KEY_RESULT, kr.pk) in rows
            else kr.title,
            str(kr.pk),
        )
        for kr in krs
    ]
    confidence = [slack_blocks.option(str(i), str(i)) for i in range(11)]
    return slack_blocks.modal(
        title="Check in",
        callback_id=CHECK_IN_VIEW,
        submit="Check in",
        blocks=[
            {
                "type": "input",
                "block_id": KEY_RESULT,
                "label": slack_blocks.plain("Key result"),
                "element": {
                    "type": "static_select",
                    "action_id": KEY_RESULT,
                    "placeholder": slack_blocks.plain("Choose a key result"),
                    "options": options,
                },
            },
            {
                "type": "input",
                "block_id": VALUE,
                "optional": True,
                "label": slack_blocks.plain("New value"),
                "hint": slack_blocks.plain("Leave empty to keep the value (confidence only)."),
                "element": {"type": "plain_text_input", "action_id": VALUE},
            },
            {
                "type": "input",
                "block_id": CONFIDENCE,
                "optional": True,
                "label": slack_blocks.plain("Confidence (0–10)"),
                "element": {
                    "type": "static_select",
                    "action_id": CONFIDENCE,
                    "options": confidence,
                },
            },
            {
                "type": "input",
                "block_id": NOTE,
                "optional": True,
                "label": slack_blocks.plain("Note"),
                "element": {"type": "plain_text_input", "action_id": NOTE, "multiline": True},
            },
        ],
    )


def open_check_in(delivery: InboundDelivery, payload: Any) -> None:
    """The check-in modal for the acting Slack user (shortcut or `/align checkin`)."""
    data = as_dict(payload)
    slack, membership = acting_member(delivery, data)
    if membership is None:
        view = link_notice(delivery, slack)
    elif why_not := refusal(membership, "check in on key results", guests=False):
        view = slack_blocks.notice("Check in", why_not)
    else:
        view = _check_in_modal(membership)
    open_view(delivery, str(data.get("trigger_id") or ""), view)


@handles(Provider.SLACK, "shortcut", inline=True)
def slack_global_shortcut(delivery: InboundDelivery, payload: Any) -> None:
    data = as_dict(payload)
    if data.get("callback_id") != CHECK_IN_SHORTCUT:
        raise DeliveryIgnored(f"Unknown shortcut {data.get('callback_id')!r}.")
    open_check_in(delivery, data)


def _checked_in_view(key_result: KeyResult, membership: Membership) -> dict[str, Any]:
    """What the modal turns into: the KR's numbers from the read model, after the check-in."""
    rows = rollups_for(membership.workspace_id, {KEY_RESULT: [key_result.pk]})
    row = rows.get((KEY_RESULT, key_result.pk))
    return slack_blocks.notice(
        "Checked in",
        f"*{slack_blocks.escape(key_result.title)}*\n"
        f"Now {_number(key_result.current, key_result.unit)} of "
        f"{_number(key_result.target, key_result.unit)} · {slack_blocks.rollup_text(row)} · "
        f"confidence {key_result.confidence}/10",
    )


def _submit_check_in(
    delivery: InboundDelivery, data: dict[str, Any], membership: Membership
) -> dict[str, Any]:
    values = _values(as_dict(data.get("view")))
    key_result = (
        KeyResult.objects.for_workspace(delivery.workspace_id)
        .select_related("objective__period")
        .filter(pk=int_id(_selected(values, KEY_RESULT)))
        .first()
    )
    if key_result is None:
        raise refuse({KEY_RESULT: f"Choose a key result of {delivery.workspace.name}."})
    raw_value = _text(values, VALUE)
    confidence = _selected(values, CONFIDENCE)
    try:
        key_result_check_in(
            actor=membership,
            key_result=key_result,
            value=raw_value or None,
            confidence=int(confidence) if confidence.isdigit() else None,
            note=_text(values, NOTE),
        )
    except CheckInNotAccepted as exc:
        raise refuse({VALUE: exc.text}) from exc
    except DomainError as exc:
        blocks = {"value": VALUE, "steps_done": VALUE, "confidence": CONFIDENCE, "note": NOTE}
        raise refuse(_field_errors(exc, blocks, KEY_RESULT)) from exc
    key_result.refresh_from_db()
    return {"response_action": "update", "view": _checked_in_view(key_result, membership)}


SUBMISSIONS = {CREATE_TASK_VIEW: _submit_task, CHECK_IN_VIEW: _submit_check_in}


@handles(Provider.SLACK, "view_submission", inline=True)
def slack_view_submission(delivery: InboundDelivery, payload: Any) -> dict[str, Any] | None:
    """A modal of ours submitted: write through the service, answer with errors or a view."""
    data = as_dict(payload)
    callback = str(as_dict(data.get("view")).get("callback_id") or "")
    submit = SUBMISSIONS.get(callback)
    if submit is None:
        raise DeliveryIgnored(f"Unknown modal {callback!r}.")
    slack, membership = acting_member(delivery, data)
    first_block = {CREATE_TASK_VIEW: TITLE, CHECK_IN_VIEW: KEY_RESULT}[callback]
    if membership is None:
        raise refuse({first_block: not_linked_text(delivery.integration, slack)})
    # Guests may create their teams' tasks (the team is looked up through visible_to), never
    # check in: key results are company-wide, outside a guest's teams.
    doing, guests = (
        ("create tasks", True)
        if callback == CREATE_TASK_VIEW
        else ("check in on key results", False)
    )
    if why_not := refusal(membership, doing, guests=guests):
        raise refuse({first_block: why_not})
    return submit(delivery, data, membership)
