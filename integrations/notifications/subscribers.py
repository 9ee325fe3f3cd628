"""Domain events → notifications. Registered in `IntegrationsConfig.ready` with
`in_transaction=True`: they run inside the publisher's transaction, so inbox and outbox rows
commit (or roll back) with the change. They only read and write rows; they never send.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.urls import reverse

from alignment import events, timezones
from alignment.models import User, Workspace
from dashboards.events import RollupChanged
from dashboards.rollups.math import reason_from_json
from integrations.notifications.models import Notification, NotificationKind
from integrations.notifications.services import About, notify
from okrs import progress
from okrs.models import KeyResult
from okrs.reason_words import reason_sentence
from readmodel.models import NodeKind, Rollup
from tasks.events import TaskChanged, TaskCommented, TaskCreated
from tasks.models import Task, TaskComment

logger = logging.getLogger(__name__)
EXCERPT = 300


def _task(workspace_id: int, task_id: int) -> Task | None:
    return (
        Task.objects.for_workspace(workspace_id)
        .select_related("workspace", "team", "state", "assignee", "created_by")
        .filter(pk=task_id)
        .first()
    )


def _user(user_id: int | None) -> User | None:
    return User.objects.filter(pk=user_id).first() if user_id else None


def _name(actor: User | None) -> str:
    return actor.display_name if actor is not None else "Someone"


def _task_about(task: Task) -> About:
    url = reverse("tasks:task", kwargs={"slug": task.workspace.slug, "key": task.key})
    return About("task", task.pk, url)


def _task_label(task: Task) -> str:
    return f"{task.key} “{task.title}”"


def _assigned(task: Task, actor: User | None) -> None:
    if task.assignee is None:
        return
    sentence = (
        f"{actor.display_name} assigned {_task_label(task)} to you."
        if actor is not None
        else f"{_task_label(task)} was assigned to you."
    )
    notify(
        workspace=task.workspace,
        recipient=task.assignee,
        kind=NotificationKind.ASSIGNED,
        sentence=sentence,
        about=_task_about(task),
        actor=actor,
        detail=f"{task.team.name} · {task.state.name}",
    )


def on_task_created(event: TaskCreated) -> None:
    if event.assignee_id is None:  # most tasks are created unassigned: nothing to read
        return
    task = _task(event.workspace_id, event.task_id)
    if task is not None and task.assignee_id:
        _assigned(task, _user(event.actor_id))


def on_task_changed(event: TaskChanged) -> None:
    if "assignee" not in event.fields and "state" not in event.fields:
        return
    if event.watchers is not None and not set(event.watchers) - {event.actor_id}:
        return  # no one but the actor to tell (a move of unassigned work): nothing to read
    task = _task(event.workspace_id, event.task_id)
    if task is None:
        return
    actor = _user(event.actor_id)
    if "assignee" in event.fields:
        _assigned(task, actor)
    if "state" in event.fields:
        sentence = f"{_name(actor)} moved {_task_label(task)} to {task.state.name}."
        # The assignee first: when they are also the creator, that is the one line they get.
        for recipient in (task.assignee, task.created_by):
            notify(
                workspace=task.workspace,
                recipient=recipient,
                kind=NotificationKind.STATUS_CHANGED,
                sentence=sentence,
                about=_task_about(task),
                actor=actor,
            )


def on_task_commented(event: TaskCommented) -> None:
    if not event.mentioned_user_ids:
        return
    task = _task(event.workspace_id, event.task_id)
    if task is None:
        return
    actor = _user(event.actor_id)
    body = (
        TaskComment.objects.for_workspace(event.workspace_id)
        .filter(pk=event.comment_id)
        .values_list("body", flat=True)
        .first()
    ) or ""
    excerpt = body if len(body) <= EXCERPT else body[: EXCERPT - 1].rstrip() + "…"
    about = _task_about(task)
    about = About(about.object_type, about.object_id, f"{about.url}#comment-{event.comment_id}")
    recipients = User.objects.filter(
        pk__in=event.mentioned_user_ids, memberships__workspace_id=event.workspace_id
    ).order_by("pk")
    for recipient in recipients:
        notify(
            workspace=task.workspace,
            recipient=recipient,
            kind=NotificationKind.MENTIONED,
            sentence=f"{_name(actor)} mentioned you in a comment on {_task_label(task)}.",
            about=about,
            actor=actor,
            detail=excerpt,
        )


def _why(workspace_id: int, key_result: KeyResult) -> str:
    """The first reason of the KR's materialized status, as a sentence ('' when unknown)."""
    reasons = (
        Rollup.objects.filter(
            workspace_id=workspace_id, kind=NodeKind.KEY_RESULT, node_id=key_result.pk
        )
        .values_list("reasons", flat=True)
        .first()
    )
    if not reasons or not isinstance(reasons, list):
        return ""
    try:
        reason = reason_from_json(reasons[0])
        return reason_sentence(reason, {("key_result", key_result.pk): key_result.title})
    except (KeyError, TypeError, ValueError, AttributeError):
        # A reason this version cannot phrase must not abort the rollup write.
        logger.warning("Could not phrase the reasons of key result %s", key_result.pk)
        return ""


def _status_sentence(title: str, label: str) -> str:
    return f"Your key result “{title}” is now {label}."


def _told_today(key_result: KeyResult, owner: User, label: str, since: datetime) -> bool:
    """Whether the owner's inbox already says "now <label>" about this KR since `since`: one
    query on the recipient's inbox index (the sentence ends with the status by construction)."""
    return (
        Notification.objects.for_workspace(key_result.workspace_id)
        .for_recipient(owner.pk)
        .filter(
            kind=NotificationKind.KR_AT_RISK,
            object_type="key_result",
            object_id=key_result.pk,
            created_at__gte=since,
            sentence__endswith=f" is now {label}.",
        )
        .exists()
    )


def on_rollup_changed(event: RollupChanged) -> None:
    """A KR that got worse (on track → at risk, → off track) tells its owner, with the why.

    At most once per status per (UTC) day: a KR hovering at the boundary flips back and forth
    on every recompute, and its owner should hear "now at risk" once, not every morning and
    evening. The inbox row is the record for in-app; the outbox key (status + day) is the record
    for e-mail and Slack, so the dedupe holds for people who turned the inbox off too."""
    if event.kind != NodeKind.KEY_RESULT:
        return
    before = progress.SEVERITY.get(event.status_before, 0)
    after = progress.SEVERITY.get(event.status_after, 0)
    if after <= before:
        return
    key_result = (
        KeyResult.objects.for_workspace(event.workspace_id)
        .select_related("workspace", "owner", "objective")
        .filter(pk=event.node_id)
        .first()
    )
    if key_result is None or key_result.owner is None:
        return
    workspace: Workspace = key_result.workspace
    label = progress.STATUS_LABELS.get(event.status_after, event.status_after).lower()
    # "Today" is the workspace's day: one notice per status per local day.
    today = timezones.day_start(workspace, timezones.today(workspace))
    if _told_today(key_result, key_result.owner, label, today):
        return
    url = key_result.objective.get_absolute_url() + f"#kr-{key_result.pk}"
    notify(
        workspace=workspace,
        recipient=key_result.owner,
        kind=NotificationKind.KR_AT_RISK,
        sentence=_status_sentence(key_result.title, label),
        about=About("key_result", key_result.pk, url),
        detail=_why(event.workspace_id, key_result),
        key=f"kr_status:{key_result.pk}:{event.status_after}:{today:%Y-%m-%d}",
    )


def register() -> None:
    events.subscribe(TaskCreated, on_task_created, in_transaction=True)
    events.subscribe(TaskChanged, on_task_changed, in_transaction=True)
    events.subscribe(TaskCommented, on_task_commented, in_transaction=True)
    events.subscribe(RollupChanged, on_rollup_changed, in_transaction=True)
