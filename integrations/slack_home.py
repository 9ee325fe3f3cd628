"""The app's Home tab in Slack: my open work and my key results, published on
`app_home_opened` with views.publish (through the outbox).

It shows what the My work page and the OKR pages show: the same selector for the tasks
(`tasks.selectors.my_work`) and the read model for every progress number. A Slack user who is
not linked yet sees how to link instead. Like those pages, it shows only what the person may
see: `my_work` reads through `visible_to`, and a guest (whose pages are their teams' boards)
gets their tasks without objectives or key results.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from alignment import timezones
from alignment.models import Membership, Role
from integrations import slack_blocks
from integrations.models import Channel, InboundDelivery, Integration
from integrations.outbox import outbox_enqueue
from integrations.registry import DeliveryIgnored
from integrations.slack_users import SlackUser, member_for, not_linked_text, refusal
from okrs.models import KeyResult, ObjectiveStatus
from readmodel.selectors import rollups_for
from tasks.selectors import my_work

KEY_RESULT = "key_result"  # a readmodel NodeKind value
MAX_TASKS = 25
MAX_KEY_RESULTS = 15
MAX_BLOCKS = 100  # Slack's limit for a Home tab view


def _task_blocks(membership: Membership) -> list[dict[str, Any]]:
    workspace = membership.workspace
    groups = my_work(workspace, membership)
    count = sum(len(group.tasks) for group in groups)
    url = slack_blocks.absolute(reverse("tasks:my_work", kwargs={"slug": workspace.slug}))
    blocks = [
        {"type": "header", "text": slack_blocks.plain(f"My work · {count} open")},
    ]
    if not count:
        return [*blocks, slack_blocks.section("Nothing assigned to you is open. :tada:")]
    shown = 0
    for group in groups:
        if shown >= MAX_TASKS:
            break
        if group.okrs_hidden:  # a guest's one group: no objective titles (docs/teams.md)
            title = "Your tasks"
        elif group.objective:
            title = group.objective.title
        else:
            title = "Not aligned to an objective"
        lines = [f"*{slack_blocks.escape(title)}*"]
        for task in group.tasks[: MAX_TASKS - shown]:
            lines.append("• " + slack_blocks.task_summary(task, workspace.slug))
            shown += 1
        blocks.append(slack_blocks.section("\n".join(lines)))
    more = f"{count - shown} more · " if count > shown else ""
    blocks.append(slack_blocks.context(f"{more}{slack_blocks.link(url, 'Open My work')}"))
    return blocks


def _key_result_blocks(membership: Membership) -> list[dict[str, Any]]:
    today = timezones.today_of(membership.workspace_id)
    key_results = list(
        KeyResult.objects.for_workspace(membership.workspace_id)
        .filter(
            owner_id=membership.user_id,
            objective__period__start__lte=today,
            objective__period__end__gte=today,
        )
        .exclude(objective__status=ObjectiveStatus.ARCHIVED)
        .select_related("objective")
        .order_by("objective__title", "position", "pk")[: MAX_KEY_RESULTS + 1]
    )
    blocks = [{"type": "header", "text": slack_blocks.plain("My key results")}]
    if not key_results:
        return [*blocks, slack_blocks.section("You own no key result this period.")]
    shown = key_results[:MAX_KEY_RESULTS]
    # Progress, pace and status are the read model's rows: what the OKR pages show.
    rows = rollups_for(membership.workspace_id, {KEY_RESULT: [kr.pk for kr in shown]})
    slug = membership.workspace.slug
    for kr in shown:
        url = slack_blocks.absolute(
            reverse("okrs:key_result_check_in", kwargs={"slug": slug, "key_result_id": kr.pk})
        )
        blocks.append(
            slack_blocks.section(
                f"*{slack_blocks.link(url, kr.title)}*\n"
                f"{slack_blocks.rollup_text(rows.get((KEY_RESULT, kr.pk)))} · "
                f"{slack_blocks.escape(kr.objective.title)}"
            )
        )
    if len(key_results) > MAX_KEY_RESULTS:
        tree = slack_blocks.absolute(reverse("okrs:tree", kwargs={"slug": slug}))
        blocks.append(slack_blocks.context(slack_blocks.link(tree, "More on the OKR tree")))
    return blocks


def home_view(integration: Integration, slack: SlackUser) -> dict[str, Any]:
    """The Home tab for one Slack user."""
    membership = member_for(integration, slack)
    if membership is None:
        blocks = [slack_blocks.section(not_linked_text(integration, slack))]
    elif refusal(membership, "see key results", role=Role.VIEWER, guests=False):
        blocks = _task_blocks(membership)  # a guest: their teams' tasks, nothing company-wide
    else:
        blocks = [
            *_task_blocks(membership),
            {"type": "divider"},
            *_key_result_blocks(membership),
            slack_blocks.context(
                f"{slack_blocks.escape(membership.workspace.name)} · use the *Check in* "
                "shortcut or `/align checkin` to update a key result"
            ),
        ]
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def app_home_opened(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    assert isinstance(event, dict)
    if event.get("tab") != "home":
        raise DeliveryIgnored(f"The {event.get('tab')!r} tab has nothing of ours to show.")
    slack = SlackUser.of(payload)
    outbox_enqueue(
        workspace=delivery.workspace,
        channel=Channel.SLACK,
        destination=slack.user_id,
        payload={"api_method": "views.publish", "view": home_view(delivery.integration, slack)},
        dedupe_key=f"slack:{delivery.pk}:home",
        event_type="slack.home",
    )
