"""`/align` slash commands. Slack gets an empty 200 at once (inbound.receive); this handler
runs in the Celery task and answers through the command's `response_url`.

    /align task ENG-123   the task's title, state, assignee and link
    /align mine           my open tasks (Slack user → e-mail via users.info → member)
    /align okr            the live objectives of the current period, with progress and health

`response_url` comes from the request body, so it is only followed when it starts with one of
SLACK_RESPONSE_URL_PREFIXES (Slack's hooks host): a forged body cannot make us POST elsewhere.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from alignment.models import Membership
from integrations.channels import slack_bot_token
from integrations.models import InboundDelivery, Provider
from integrations.registry import handles
from okrs.health import STATUS_LABELS
from okrs.models import Objective
from readmodel.selectors import rollups_for
from tasks.models import Task
from tasks.selectors import task_by_key

HELP = (
    "Try `/align task ENG-123` (a task), `/align mine` (your open tasks) "
    "or `/align okr` (this period's objectives)."
)
MAX_ITEMS = 10
OBJECTIVE = "objective"  # a readmodel NodeKind value


def _task_line(task: Task) -> str:
    who = task.assignee.display_name if task.assignee else "unassigned"
    url = settings.SITE_URL + reverse(
        "tasks:task", kwargs={"slug": task.workspace.slug, "key": task.key}
    )
    return f"<{url}|*{task.key}*> {task.title} · {task.state.name} · {who}"


def _task(delivery: InboundDelivery, argument: str) -> str:
    task = task_by_key(delivery.workspace, argument)
    if task is None:
        return f"No task {argument or '(no key given)'} in {delivery.workspace.name}."
    task = Task.objects.select_related("workspace", "state", "assignee", "team").get(pk=task.pk)
    return _task_line(task)


def _slack_email(workspace_id: int, slack_user: str) -> str:
    token = slack_bot_token(workspace_id)
    if not token or not slack_user:
        return ""
    response = httpx.get(
        f"{settings.SLACK_API_BASE.rstrip('/')}/users.info",
        params={"user": slack_user},
        headers={"Authorization": f"Bearer {token}"},
        timeout=settings.OUTBOX_HTTP_TIMEOUT_SECONDS,
    )
    data = response.json() if response.status_code == 200 else {}
    return str(((data.get("user") or {}).get("profile") or {}).get("email") or "")


def _mine(delivery: InboundDelivery, form: dict[str, Any]) -> str:
    email = _slack_email(delivery.workspace_id, str(form.get("user_id") or ""))
    membership = (
        Membership.objects.for_workspace(delivery.workspace_id)
        .filter(user__email__iexact=email, user__is_active=True)
        .select_related("user")
        .first()
        if email
        else None
    )
    if membership is None:
        return (
            f"I could not match your Slack account to a member of {delivery.workspace.name}. "
            "Your Slack e-mail must be the one you log in with (and the app needs the "
            "users:read.email scope)."
        )
    tasks = list(
        Task.objects.for_workspace(delivery.workspace_id)
        .open()
        .filter(assignee=membership.user)
        .select_related("workspace", "state", "assignee", "team")
        .order_by("-priority", "rank", "pk")[:MAX_ITEMS]
    )
    if not tasks:
        return "You have no open tasks. :tada:"
    return "\n".join(["Your open tasks:", *(_task_line(t) for t in tasks)])


def _okr(delivery: InboundDelivery) -> str:
    today = timezone.localdate()
    objectives = list(
        Objective.objects.for_workspace(delivery.workspace_id)
        .live()
        .filter(period__start__lte=today, period__end__gte=today)
        .select_related("team", "period")
        .order_by("level", "title")[:MAX_ITEMS]
    )
    if not objectives:
        return f"No objectives in the current period of {delivery.workspace.name}."
    # Progress and health are the objectives' read-model rows: what their pages show.
    rows = rollups_for(delivery.workspace_id, {OBJECTIVE: [o.pk for o in objectives]}, today=today)
    lines = [f"Objectives for {objectives[0].period.name}:"]
    for objective in objectives:
        owner = objective.team.key if objective.team else objective.get_level_display()
        row = rows.get((OBJECTIVE, objective.pk))
        numbers = (
            f"{row.percent}% · {STATUS_LABELS.get(row.status, row.status).lower()}"
            if row is not None
            else "no progress yet"
        )
        lines.append(f"• {objective.title} ({owner}) · {numbers}")
    return "\n".join(lines)


def answer(delivery: InboundDelivery, form: dict[str, Any]) -> str:
    """The text for one `/align …` command."""
    words = str(form.get("text") or "").split()
    command = words[0].lower() if words else ""
    if command == "task":
        return _task(delivery, words[1] if len(words) > 1 else "")
    if command == "mine":
        return _mine(delivery, form)
    if command in ("okr", "okrs"):
        return _okr(delivery)
    return HELP


def response_url_allowed(url: str) -> bool:
    return any(url.startswith(prefix) for prefix in settings.SLACK_RESPONSE_URL_PREFIXES)


@handles(Provider.SLACK, "slash_command")
def slack_slash_command(delivery: InboundDelivery, form: Any) -> None:
    url = str(form.get("response_url") or "")
    if not response_url_allowed(url):
        raise ValueError("The response_url is not a Slack URL; not answering.")
    response = httpx.post(
        url,
        json={"response_type": "ephemeral", "text": answer(delivery, form)},
        timeout=settings.OUTBOX_HTTP_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
