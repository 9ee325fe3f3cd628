"""Undo of the last move, field change, bulk change or archive: a signed token, no table.

Before a change the view takes a `snapshot` of what it will change; after it, `token` signs
(workspace, person, and per task: the version the change left and the values before). The
toast's Undo button posts the token back; `undo` writes the old values through the same
versioned services, expecting the version the change left, so a task someone changed since
is refused (UndoRefused, 409) and nothing at all is reverted: one transaction. The token
expires after settings.TASK_UNDO_MINUTES and only its maker can use it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpResponse
from django.template.loader import render_to_string

from alignment.errors import StaleVersion
from alignment.guards import require_member
from alignment.models import Membership, User
from tasks.errors import UndoExpired, UndoRefused
from tasks.models import Label, Sprint, Task, TaskLabel, WorkflowState
from tasks.services.archive import task_restore
from tasks.services.changes import apply_changes

SALT = "tasks.undo"
FIELDS = ("state", "rank", "sprint", "assignee", "estimate", "priority", "labels")
RESTORE = "restore"  # the "field" of an archive or delete: undone by restoring


def snapshot(tasks: list[Task], fields: tuple[str, ...]) -> dict[int, dict[str, Any]]:
    """The values of `fields` of each task now (labels: one query for all)."""
    labels: dict[int, list[int]] = {t.pk: [] for t in tasks}
    if "labels" in fields:
        for task_id, label_id in TaskLabel.objects.filter(
            task_id__in=[t.pk for t in tasks]
        ).values_list("task_id", "label_id"):
            labels[task_id].append(label_id)
    before: dict[int, dict[str, Any]] = {}
    for task in tasks:
        values: dict[str, Any] = {}
        for name in fields:
            if name == "labels":
                values[name] = sorted(labels[task.pk])
            elif name == "estimate":
                values[name] = None if task.estimate is None else str(task.estimate)
            elif name == RESTORE:
                values[name] = True
            elif name in ("state", "sprint", "assignee"):
                values[name] = getattr(task, f"{name}_id")
            else:
                values[name] = getattr(task, name)
        before[task.pk] = values
    return before


def token(
    actor: Membership, tasks: list[Task], before: dict[int, dict[str, Any]], message: str
) -> str:
    """Sign the undo of a change just made to `tasks` (their versions now are after it);
    `message` is what the toast says (signed too: a link's ?undo= cannot make it say more)."""
    return signing.dumps(
        {
            "w": actor.workspace_id,
            "u": actor.user_id,
            "m": message[:200],
            "t": [[t.pk, t.version, before[t.pk]] for t in tasks],
        },
        salt=SALT,
        compress=True,
    )


def _data(actor: Membership, raw: str) -> dict[str, Any]:
    try:
        data = signing.loads(raw or "", salt=SALT, max_age=settings.TASK_UNDO_MINUTES * 60)
    except signing.BadSignature as exc:  # SignatureExpired is one
        raise UndoExpired() from exc
    if (
        not isinstance(data, dict)
        or data.get("w") != actor.workspace_id
        or data.get("u") != actor.user_id
    ):
        raise UndoExpired()
    return data


def _load(actor: Membership, raw: str) -> list[list[Any]]:
    return list(_data(actor, raw).get("t") or [])


def message_of(actor: Membership, raw: str) -> str | None:
    """The toast's message of a valid token of `actor`, else None (an old or foreign link)."""
    try:
        return str(_data(actor, raw).get("m") or "")
    except UndoExpired:
        return None


def _changes(actor: Membership, task: Task, values: dict[str, Any]) -> dict[str, Any]:
    """The stored ids as objects of the actor's workspace (a missing one: undo refused)."""
    ws = actor.workspace_id
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name == "state":
            changes[name] = WorkflowState.objects.for_workspace(ws).filter(pk=value).first()
            if changes[name] is None:
                raise UndoExpired("That column no longer exists; nothing was changed.")
        elif name == "sprint":
            changes[name] = (
                None if value is None else Sprint.objects.for_workspace(ws).filter(pk=value).first()
            )
        elif name == "assignee":
            changes[name] = (
                None
                if value is None
                else User.objects.filter(pk=value, memberships__workspace_id=ws).first()
            )
        elif name == "estimate":
            changes[name] = None if value is None else Decimal(value)
        elif name in ("rank", "priority"):
            changes[name] = value
    return changes


@transaction.atomic
def undo(*, actor: Membership, raw_token: str) -> list[Task]:
    """Revert the change the token describes, for every task or none (see the module)."""
    require_member(actor)
    entries = _load(actor, raw_token)
    ids = [entry[0] for entry in entries]
    tasks = {
        t.pk: t
        for t in Task.all_objects.for_workspace(actor.workspace_id)
        .select_related("team", "state")
        .select_for_update(of=("self",))
        .filter(pk__in=ids, merged_into__isnull=True)
    }
    done: list[Task] = []
    for task_id, version, values in entries:
        task = tasks.get(task_id)
        if task is None:
            raise UndoExpired("That task no longer exists; nothing was changed.")
        if task.version != version:
            raise UndoRefused(task=task.key, current=task.version)
        if RESTORE in values:
            done.append(task_restore(actor=actor, task=task))
            continue
        labels = None
        if "labels" in values:
            labels = list(
                Label.objects.for_workspace(actor.workspace_id).filter(pk__in=values["labels"])
            )
        try:
            apply_changes(
                actor=actor,
                task=task,
                changes=_changes(actor, task, values),
                expected_version=version,
                labels=labels,
            )
        except StaleVersion as exc:
            raise UndoRefused(task=task.key, current=exc.details.get("current")) from exc
        done.append(task)
    return done


def toast_html(
    message: str, raw_token: str, *, undo_url: str, csrf_token: str, next_url: str
) -> str:
    return render_to_string(
        "tasks/_undo_toast.html",
        {
            "message": message,
            "token": raw_token,
            "undo_url": undo_url,
            "csrf_token": csrf_token,
            "next": next_url,
        },
    )


def attach_toast(response: HttpResponse, html: str) -> HttpResponse:
    """board.js puts the toast of a move or a shortcut into #flash (header: URL-encoded)."""
    response["X-Undo-Toast"] = quote(" ".join(html.split()))
    return response
