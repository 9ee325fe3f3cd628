"""Block Kit pieces shared by notifications, buttons, modals, unfurls and the home tab.

Pure builders: they read the rows they are given (and the read model, for numbers) and return
JSON-ready dicts within Slack's limits (plain_text 150 characters in titles and labels, 75 in
option texts, 3,000 in a section, 100 options in a select).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from integrations.digest_slack import escape, link
from okrs.health import STATUS_LABELS
from readmodel.selectors import RollupRow
from tasks.models import Task, WorkflowState

# action_ids of the buttons and menus on task messages (integrations.slack_interactivity).
ASSIGN_TO_ME = "alignment_task_assign_to_me"
MOVE_TO_STATE = "alignment_task_move"
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def option(text: str, value: str) -> dict[str, Any]:
    if len(text) > MAX_OPTION_TEXT:
        text = text[: MAX_OPTION_TEXT - 1] + "…"
    return {"text": plain(text, MAX_OPTION_TEXT), "value": value}


def modal(
    *,
    title: str,
    blocks: list[dict[str, Any]],
    callback_id: str = "",
    submit: str = "",
    private_metadata: str = "",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain(title, 24),  # Slack's limit for a modal title
        "close": plain("Close" if not submit else "Cancel", 24),
        "blocks": blocks,
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = plain(submit, 24)
    if private_metadata:
        view["private_metadata"] = private_metadata[:3000]
    return view


def notice(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (no submit button)."""
    return modal(title=title, blocks=[section(text)])


def absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else settings.SITE_URL + path


def task_url(task: Task, slug: str | None = None) -> str:
    slug = slug or task.workspace.slug  # lists pass the slug: no query per row
    return absolute(reverse("tasks:task", kwargs={"slug": slug, "key": task.key}))


def task_summary(task: Task, slug: str | None = None) -> str:
    """`<url|*ENG-12*> Title · State · Assignee` (mrkdwn): what a message says of a task."""
    who = task.assignee.display_name if task.assignee else "unassigned"
    return (
        f"<{task_url(task, slug)}|*{task.key}*> {escape(task.title)} · "
        f"{escape(task.state.name)} · {escape(who)}"
    )


def rollup_text(row: RollupRow | None) -> str:
    """`40% · at risk (expected 55%)` from a read-model row."""
    if row is None:
        return "no progress yet"
    status = STATUS_LABELS.get(row.status, row.status).lower()
    return f"{row.percent}% · {status} (expected {row.expected_percent}%)"


def task_actions(task: Task, states: list[WorkflowState]) -> dict[str, Any]:
    """ "Assign to me" and "Move to…" for one task; values name the task (checked on use)."""
    elements: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": ASSIGN_TO_ME,
            "text": plain("Assign to me"),
            "value": str(task.pk),
        }
    ]
    choices = [option(s.name, f"{task.pk}:{s.pk}") for s in states[:MAX_OPTIONS]]
    if choices:
        menu: dict[str, Any] = {
            "type": "static_select",
            "action_id": MOVE_TO_STATE,
            "placeholder": plain("Move to…"),
            "options": choices,
        }
        current = [c for c in choices if c["value"] == f"{task.pk}:{task.state_id}"]
        if current:
            menu["initial_option"] = current[0]
        elements.append(menu)
    return {"type": "actions", "block_id": f"alignment_task_{task.pk}", "elements": elements}


def team_states(task: Task) -> list[WorkflowState]:
    return list(
        WorkflowState.objects.for_workspace(task.workspace_id)
        .filter(team_id=task.team_id)
        .order_by("position", "pk")
    )


def task_message(task: Task, *, headline: str, note: str = "") -> dict[str, Any]:
    """A message about a task with its buttons: `headline` (mrkdwn, already escaped) first."""
    blocks = [section(headline), section(task_summary(task))]
    if note:
        blocks.append(context(note))
    blocks.append(task_actions(task, team_states(task)))
    return {"blocks": blocks}


def notification_blocks(task_id: int, workspace_id: int, text: str) -> list[dict[str, Any]]:
    """A notification's text, then the task's line and buttons (when the task still exists)."""
    task = (
        Task.objects.for_workspace(workspace_id)
        .select_related("workspace", "state", "assignee", "team")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        return []
    return task_message(task, headline=text)["blocks"]


__all__ = ["escape", "link"]
