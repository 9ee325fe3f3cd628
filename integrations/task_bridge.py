"""Where external events meet tasks: state moves from pull/merge requests, by per-team rules.

Rules live on the integration's `config["state_rules"]`:

    {"pr_opened": "started", "pr_merged": "done",          # workspace-wide (the defaults)
     "teams": {"OPS": {"pr_opened": ""}}}                   # per team; "" turns a rule off

A rule names a state *category*; the task moves to its team's first state of that category,
and only forwards (an opened PR never reopens a done task). Moves go through the tasks app's
service (`task_transition`), so history, rollups and webhooks see them like any other change.
"""

from __future__ import annotations

import logging
from typing import Any

from alignment.events import publish_on_commit
from alignment.models import Membership, Role
from integrations.events import PullRequestChanged
from integrations.models import InboundDelivery, Integration
from integrations.team_keys import old_team_keys
from tasks.errors import TransitionBlocked
from tasks.events import TaskTransitionRefused
from tasks.models import Task, WorkflowState
from tasks.selectors import task_by_key
from tasks.services import task_transition

logger = logging.getLogger(__name__)

PR_OPENED = "pr_opened"
PR_MERGED = "pr_merged"
TRIGGERS = {PR_OPENED: "Pull/merge request opened", PR_MERGED: "Pull/merge request merged"}
DEFAULT_STATE_RULES: dict[str, str] = {PR_OPENED: "started", PR_MERGED: "done"}
# A rule only moves a task forward: from these categories to the rule's category.
MOVES_FROM: dict[str, set[str]] = {
    "started": {"backlog", "unstarted"},
    "done": {"backlog", "unstarted", "started"},
}


def state_rules(integration: Integration, team_key: str) -> dict[str, str]:
    """The effective trigger → category rules for one team."""
    config: dict[str, Any] = integration.config or {}
    rules = {**DEFAULT_STATE_RULES, **(config.get("state_rules") or {})}
    per_team = (config.get("state_rules") or {}).get("teams") or {}
    team_rules = per_team.get(team_key)
    if team_rules is None and per_team:
        # Rules saved before the team's key changed (ENG → PLAT) still apply to the team.
        for old_key, current_key in old_team_keys(integration.workspace_id).items():
            if current_key == team_key and old_key in per_team:
                team_rules = per_team[old_key]
                break
    rules.update(team_rules or {})
    rules.pop("teams", None)
    return {k: v for k, v in rules.items() if isinstance(v, str) and v}


def apply_trigger(*, delivery: InboundDelivery, keys: list[str], trigger: str | None) -> int:
    """Move the tasks named by `keys` as the rules say; returns how many moved."""
    if not trigger or not keys:
        return 0
    moved = 0
    for key in keys:
        category = state_rules(delivery.integration, key.split("-", 1)[0]).get(trigger)
        if category and move_task(delivery=delivery, key=key, category=category):
            moved += 1
    return moved


def task_ids_for(delivery: InboundDelivery, keys: list[str]) -> tuple[int, ...]:
    found = (task_by_key(delivery.workspace, key) for key in dict.fromkeys(keys))
    return tuple(task.pk for task in found if task is not None)


def publish_pr(
    *, delivery: InboundDelivery, keys: list[str], action: str | None, title: str, url: str
) -> None:
    """Tell subscribers (automation rules) a pull/merge request naming tasks moved."""
    task_ids = task_ids_for(delivery, keys) if action and keys else ()
    if task_ids:
        publish_on_commit(
            PullRequestChanged(
                workspace_id=delivery.workspace_id,
                task_ids=task_ids,
                action=action or "",
                title=title[:200],
                url=url[:500],
                delivery_id=delivery.pk,
            )
        )


def integration_actor(integration: Integration) -> Membership | None:
    """Who a move is recorded as: the person who connected the integration while they are
    still a member who may move tasks, else the workspace's first owner. The history also
    names the integration event (`via`), so the move is never mistaken for their click."""
    memberships = Membership.objects.for_workspace(integration.workspace_id).select_related(
        "workspace", "user"
    )
    if integration.created_by_id:
        creator = memberships.filter(user_id=integration.created_by_id).first()
        if creator is not None and creator.has_role(Role.MEMBER):
            return creator
    return memberships.filter(role=Role.OWNER).order_by("created_at", "pk").first()


def move_task(*, delivery: InboundDelivery, key: str, category: str) -> bool:
    """Move one task forward to its team's first state of `category` via the tasks service."""
    task = task_by_key(delivery.workspace, key)
    if task is None or task.state_category not in MOVES_FROM.get(category, set()):
        return False
    state = (
        WorkflowState.objects.for_workspace(delivery.workspace_id)
        .filter(team_id=task.team_id, category=category)
        .order_by("position", "pk")
        .first()
    )
    if state is None:
        logger.info("Not moving %s: its team has no %s state", key, category)
        return False
    return move_to(delivery=delivery, task=task, state=state)


def move_to(*, delivery: InboundDelivery, task: Task, state: WorkflowState) -> bool:
    """Move one task to `state` through the tasks service, recorded as the integration's
    event ("via GitHub pull_request review_requested"); a task already there stays."""
    if task.state_id == state.pk:
        return False
    actor = integration_actor(delivery.integration)
    if actor is None:
        logger.info("Not moving %s: nobody to record the move as", task.key)
        return False
    via = " ".join(
        part for part in (delivery.get_provider_display(), delivery.event, delivery.action) if part
    )
    try:
        task_transition(actor=actor, task=task, to_state=state, via=via)
    except TransitionBlocked as refused:
        # The same rule as a person's drag: the task stays where it is. The delivery is still
        # processed (retrying cannot make the checks pass); the refusal is published for the
        # record, so the team's compliance shows it and a leader can see the blocked move.
        failing = refused.details.get("failing")
        failing = failing if isinstance(failing, list) else []
        publish_on_commit(
            TaskTransitionRefused(
                workspace_id=task.workspace_id,
                task_id=task.pk,
                state_id=state.pk,
                via=via[:120],
                failing=tuple(
                    (str(f.get("standard", "")), str(f.get("kind", "")))
                    for f in failing
                    if isinstance(f, dict)
                ),
                actor_id=actor.user_id,
            )
        )
        logger.info("Not moving %s to %s: %s", task.key, state.name, refused.text)
        return False
    return True
