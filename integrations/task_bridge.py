"""Where external events meet tasks: state moves from pull/merge requests, by per-team rules.

Rules live on the integration's `config["state_rules"]`:

    {"pr_opened": "started", "pr_merged": "done",          # workspace-wide (the defaults)
     "teams": {"OPS": {"pr_opened": ""}}}                   # per team; "" turns a rule off

A rule names a state *category*; the task moves to its team's first state of that category,
and only forwards (an opened PR never reopens a done task). Moves go through the tasks app's
service so history, rollups and webhooks see them like any other change; until that service
exists, links are kept by key and no state moves.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from integrations.models import InboundDelivery, Integration

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
    team_rules = ((config.get("state_rules") or {}).get("teams") or {}).get(team_key) or {}
    rules.update(team_rules)
    rules.pop("teams", None)
    return {k: v for k, v in rules.items() if isinstance(v, str) and v}


def apply_trigger(*, delivery: InboundDelivery, keys: list[str], trigger: str | None) -> int:
    """Move the tasks named by `keys` as the rules say; returns how many moved."""
    if not trigger or not keys:
        return 0
    mover = _task_mover()
    if mover is None:
        return 0
    moved = 0
    for key in keys:
        category = state_rules(delivery.integration, key.split("-", 1)[0]).get(trigger)
        if category and mover(delivery=delivery, key=key, category=category):
            moved += 1
    return moved


def _task_mover() -> Any:
    """The tasks app's hook for integration-driven moves, or None while it is not there."""
    try:
        task_services = importlib.import_module("tasks.services")
    except ImportError:
        return None
    return getattr(task_services, "task_move_by_integration", None) or _generic_mover(task_services)


def _generic_mover(task_services: Any) -> Any:
    transition = getattr(task_services, "task_transition", None)
    if transition is None:
        return None

    def move(*, delivery: InboundDelivery, key: str, category: str) -> bool:
        from tasks.models import Task, WorkflowState

        task = Task.objects.for_workspace(delivery.workspace_id).with_key(key).first()
        if task is None or task.state_category not in MOVES_FROM.get(category, set()):
            return False
        state = (
            WorkflowState.objects.for_workspace(delivery.workspace_id)
            .filter(team_id=task.team_id, category=category)
            .order_by("position", "pk")
            .first()
        )
        if state is None:
            return False
        transition(task=task, state=state, actor=None)
        return True

    return move
