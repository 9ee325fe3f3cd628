"""`/align` slash commands. Slack gets an empty 200 at once (inbound.receive); this handler
runs in the Celery task and answers through the command's `response_url`, by way of the
outbox (so nothing outbound happens in Slack's request, and a slow Slack is retried).

    /align task ENG-123   the task's title, state, assignee and link
    /align mine           my open tasks (the Slack user's linked member, slack_users)
    /align okr            the live objectives of the current period, with progress and health
    /align checkin        opens the check-in modal (integrations.slack_interactivity), inline

Every command but the help answers as the Slack user's linked member (slack_users), showing
only what that person may see (`visible_to`: a private team's tasks only to its people, a
guest only their teams' tasks); a guest asking for objectives is told why not. An unlinked
Slack user is told how to link, never shown a task.

`response_url` comes from the request body, so it is only followed when it starts with one of
SLACK_RESPONSE_URL_PREFIXES (Slack's hooks host): a forged body cannot make us POST elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from alignment import timezones
from alignment.models import Membership, Role
from integrations import slack_api
from integrations.models import Channel, InboundDelivery, Provider
from integrations.outbox import outbox_enqueue
from integrations.registry import handles
from integrations.slack_blocks import task_summary
from integrations.slack_interactivity import open_check_in
from integrations.slack_users import SlackUser, member_for, not_linked_text, refusal
from okrs.health import STATUS_LABELS
from okrs.models import Objective
from readmodel.selectors import rollups_for
from tasks.models import Task
from tasks.selectors import task_by_key

HELP = (
    "Try `/align task ENG-123` (a task), `/align mine` (your open tasks), "
    "`/align okr` (this period's objectives) or `/align checkin` (check in on a key result)."
)
CHECK_IN = "checkin"
MAX_ITEMS = 10
OBJECTIVE = "objective"  # a readmodel NodeKind value


def _task(delivery: InboundDelivery, membership: Membership, argument: str) -> str:
    # A task the person may not see answers like a missing one (as its page's 404 does).
    task = task_by_key(delivery.workspace, argument, viewer=membership)
    if task is None:
        return f"No task {argument or '(no key given)'} in {delivery.workspace.name}."
    task = Task.objects.select_related("workspace", "state", "assignee", "team").get(pk=task.pk)
    return task_summary(task)


def _mine(membership: Membership) -> str:
    tasks = list(
        # Assigned work in a team since made private (or left, for a guest) stays out of sight.
        Task.objects.visible_to(membership)
        .open()
        .filter(assignee=membership.user)
        .select_related("workspace", "state", "assignee", "team")
        .order_by("-priority", "rank", "pk")[:MAX_ITEMS]
    )
    if not tasks:
        return "You have no open tasks. :tada:"
    return "\n".join(["Your open tasks:", *(task_summary(t) for t in tasks)])


def _okr(delivery: InboundDelivery, membership: Membership) -> str:
    # Objectives are company-wide: everyone but guests sees them (docs/teams.md).
    if why_not := refusal(membership, "see objectives", role=Role.VIEWER, guests=False):
        return why_not
    today = timezones.today_of(membership.workspace_id)
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
    if command not in ("task", "mine", "okr", "okrs"):
        return HELP
    slack = SlackUser.of(form)
    membership = member_for(delivery.integration, slack)
    if membership is None:
        return not_linked_text(delivery.integration, slack)
    if command == "task":
        return _task(delivery, membership, words[1] if len(words) > 1 else "")
    if command == "mine":
        return _mine(membership)
    return _okr(delivery, membership)


def response_url_allowed(url: str) -> bool:
    return any(url.startswith(prefix) for prefix in settings.SLACK_RESPONSE_URL_PREFIXES)


def _subcommand(form: Any) -> str:
    words = str(form.get("text") or "").split() if isinstance(form, dict) else []
    return words[0].lower() if words else ""


# `/align checkin` opens a modal: its trigger_id lives 3 s, so it runs inside the request.
@handles(Provider.SLACK, "slash_command", inline=lambda form: _subcommand(form) == CHECK_IN)
def slack_slash_command(delivery: InboundDelivery, form: Any) -> None:
    if _subcommand(form) == CHECK_IN:
        open_check_in(delivery, form)
        return
    url = str(form.get("response_url") or "")
    if not response_url_allowed(url):
        raise ValueError("The response_url is not a Slack URL; not answering.")
    # Through the outbox: retried if Slack is slow or down, never sent from inside a handler.
    outbox_enqueue(
        workspace=delivery.workspace,
        channel=Channel.SLACK,
        destination=url,
        payload={
            slack_api.METHOD_KEY: slack_api.RESPONSE_URL,
            "response_type": "ephemeral",
            "text": answer(delivery, form),
        },
        dedupe_key=f"slack:{delivery.pk}:command",
        event_type="slack.reply",
    )
