"""Sending a notification, and reading it.

`notify()` runs inside the transaction of the change that caused it (domain-event handlers
subscribed with `in_transaction=True`): the inbox row and the outbox rows (e-mail, Slack)
commit or roll back with that change. It never notifies people about their own actions and
says the same thing to the same person about the same object once per transaction.

The header's unread count is cached per person and workspace; every write here forgets it
(now, and again after commit so a count cached by a concurrent request meanwhile is dropped).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alignment import timezones
from alignment.errors import NotFound
from alignment.events import publish_on_commit
from alignment.models import Membership, User, Workspace
from integrations.models import Channel
from integrations.notifications.events import InboxChanged
from integrations.notifications.models import Notification, NotificationChannel
from integrations.notifications.preferences import preferences_for
from integrations.outbox import outbox_enqueue

UNREAD_CACHE_SECONDS = 10 * 60
SUBJECT_MAX = 150


@dataclass(frozen=True)
class About:
    """What a notification is about: the dedupe identity and the link back."""

    object_type: str  # "task", "key_result", "objective"
    object_id: int
    url: str  # a path inside the site, e.g. /w/acme/tasks/ENG-12/


# --- Once per transaction -----------------------------------------------------------------


class _TransactionMemo:
    """What this transaction already notified. Registered as an on-commit callback: it lives
    while it is still in the connection's pending callbacks (a rollback discards it, a commit
    runs it, which closes it), so no memo outlives its transaction."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, str, str, int]] = set()
        self.closed = False

    def __call__(self) -> None:
        self.closed = True


def _first_in_transaction(key: tuple[int, str, str, int]) -> bool:
    connection = transaction.get_connection()
    memo: _TransactionMemo | None = getattr(connection, "_notification_memo", None)
    alive = (
        memo is not None
        and not memo.closed
        and any(entry[1] is memo for entry in connection.run_on_commit)
    )
    if not alive:
        memo = _TransactionMemo()
        connection._notification_memo = memo  # type: ignore[attr-defined]
        transaction.on_commit(memo)  # outside a transaction this runs (closes) at once
    assert memo is not None
    if key in memo.seen:
        return False
    memo.seen.add(key)
    return True


# --- The unread badge -----------------------------------------------------------------------


def _unread_key(user_id: int, workspace_id: int) -> str:
    return f"notifications:unread:{workspace_id}:{user_id}"


def unread_count(user_id: int, workspace_id: int) -> int:
    """Unread notifications of a person in a workspace: cached, one COUNT on a miss."""
    key = _unread_key(user_id, workspace_id)
    count = cache.get(key)
    if count is None:
        count = (
            Notification.objects.for_workspace(workspace_id).for_recipient(user_id).unread().count()
        )
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return int(count)


def forget_unread_count(user_id: int, workspace_id: int) -> None:
    """The count changed: drop the cached one and tell open pages (the bell) after commit."""
    key = _unread_key(user_id, workspace_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
    publish_on_commit(InboxChanged(workspace_id=workspace_id, user_id=user_id))


# --- Sending --------------------------------------------------------------------------------


@dataclass
class Sent:
    """What `notify` wrote: the inbox row (if in-app was wanted) and the outbox channels."""

    notification: Notification | None = None
    channels: list[str] = field(default_factory=list)


def absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else settings.SITE_URL + path


def preferences_url(workspace: Workspace) -> str:
    return absolute(reverse("notifications:preferences", kwargs={"slug": workspace.slug}))


def _email_payload(
    *, workspace: Workspace, recipient: User, sentence: str, detail: str, url: str
) -> dict[str, str]:
    context = {
        "workspace": workspace,
        "recipient": recipient,
        "sentence": sentence,
        "detail": detail,
        "link": absolute(url) if url else "",
        "preferences_link": preferences_url(workspace),
        "at": timezone.now(),
    }
    subject = " ".join(f"[{workspace.name}] {sentence}".split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    # Written for one person: its times read in their zone (their own, else the workspace's).
    with timezones.override(timezones.person_zone(recipient, workspace)):
        return {
            "subject": subject,
            "text": render_to_string("emails/notification.txt", context),
            "html": render_to_string("emails/notification.html", context),
        }


def _slack_payload(
    *, workspace: Workspace, sentence: str, detail: str, about: About
) -> dict[str, object]:
    # Slack's mrkdwn: &, < and > must be escaped in text; the link is <url|label>.
    from integrations.slack_blocks import escape, notification_blocks

    text = escape(sentence)
    if detail:
        text += f"\n>{escape(detail)}"
    headline = text
    if about.url:
        text += f"\n<{absolute(about.url)}|Open in Alignment>"
    payload: dict[str, object] = {"text": text, "unfurl_links": False, "unfurl_media": False}
    if about.object_type == "task":
        # The task's line (with its link) and "Assign to me", "Move to…" under the sentence
        # (integrations.slack_interactivity); `text` stays the notification's fallback.
        blocks = notification_blocks(about.object_id, workspace.pk, headline)
        if blocks:
            payload["blocks"] = blocks
    return payload


def _may_see_task(recipient: User, workspace: Workspace, task_id: int) -> bool:
    """Whether the task is one `recipient` may see (visible_to); one query."""
    from tasks.models import Task  # tasks' events reach here while its models load

    membership = Membership.objects.filter(workspace=workspace, user=recipient).first()
    return membership is not None and (
        membership.sees_every_team
        or Task.objects.visible_to(membership).filter(pk=task_id).exists()
    )


def notify(
    *,
    workspace: Workspace,
    recipient: User | None,
    kind: str,
    sentence: str,
    about: About,
    actor: User | None = None,
    detail: str = "",
    key: str | None = None,
) -> Sent | None:
    """Tell `recipient` about something, on the channels they want; call inside the change's
    transaction. Returns None when nobody is told (no recipient, the actor themself, not a
    member, already told in this transaction); `key` makes outbox rows idempotent across runs.
    """
    if recipient is None or not recipient.is_active:
        return None
    if actor is not None and actor.pk == recipient.pk:
        return None  # never about your own change
    if not _first_in_transaction((recipient.pk, kind, about.object_type, about.object_id)):
        return None
    prefs = preferences_for(recipient, workspace)
    if prefs.role is None:
        return None
    if about.object_type == "task" and not _may_see_task(recipient, workspace, about.object_id):
        return None  # a task of a private team they are not on (or not a guest's team)
    sent = Sent()
    if prefs.wants(kind, NotificationChannel.IN_APP):
        sent.notification = Notification.objects.create(
            workspace=workspace,
            recipient=recipient,
            actor=actor,
            kind=kind,
            sentence=sentence[:400],
            url=about.url[:500],
            object_type=about.object_type,
            object_id=about.object_id,
        )
        forget_unread_count(recipient.pk, workspace.pk)
    base = f"notify:{key}:{recipient.pk}" if key else f"notify:{uuid.uuid4().hex}"
    if prefs.wants(kind, NotificationChannel.EMAIL):
        outbox_enqueue(
            workspace=workspace,
            channel=Channel.EMAIL,
            destination=recipient.email,
            payload=_email_payload(
                workspace=workspace,
                recipient=recipient,
                sentence=sentence,
                detail=detail,
                url=about.url,
            ),
            dedupe_key=f"{base}:email",
            event_type=f"notification.{kind}",
        )
        sent.channels.append(NotificationChannel.EMAIL)
    if prefs.wants(kind, NotificationChannel.SLACK):
        outbox_enqueue(
            workspace=workspace,
            channel=Channel.SLACK,
            destination=prefs.slack_user_id,
            payload=_slack_payload(
                workspace=workspace, sentence=sentence, detail=detail, about=about
            ),
            dedupe_key=f"{base}:slack",
            event_type=f"notification.{kind}",
        )
        sent.channels.append(NotificationChannel.SLACK)
    return sent


# --- Reading --------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, actor: Membership, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (reading twice changes nothing)."""
    if (
        notification.recipient_id != actor.user_id
        or notification.workspace_id != actor.workspace_id
    ):
        raise NotFound()  # callers look it up scoped; this is the safety net
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
        forget_unread_count(actor.user_id, actor.workspace_id)
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Membership) -> int:
    """Mark every unread notification of the actor in this workspace read; returns how many."""
    marked = (
        Notification.objects.for_workspace(actor.workspace_id)
        .for_recipient(actor.user_id)
        .unread()
        .update(read_at=timezone.now())
    )
    if marked:
        forget_unread_count(actor.user_id, actor.workspace_id)
    return marked
