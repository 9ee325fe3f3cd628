"""Per-team review rules: what a pull/merge request's review does to the tasks it names.

Stored on the integration, keyed by team id (a team's key may change, its id does not):

    config["review_rules"] = {"12": {"review_requested": "41",   # a state id, "" = do nothing
                                     "changes_requested": "40",
                                     "approved": "",              # "" = a note on the link only
                                     "closed_unmerged": "todo"}}  # todo / stay / cancel

A team without saved rules gets `default_rules(team)`: review requested → its "In Review"-like
state, changes requested → its first started state, approved → note only, closed without
merge → back to its first unstarted state. Moves go through `task_bridge.move_to`, i.e. the
tasks service, so the history says "via GitHub pull_request review_requested".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alignment.audit import audit_by
from alignment.errors import FieldErrors, RoleRequired
from alignment.models import Membership, Role, Team
from integrations.models import InboundDelivery, Integration
from integrations.task_bridge import move_to
from tasks.models import StateCategory, WorkflowState
from tasks.selectors import task_by_key

CONFIG_KEY = "review_rules"
REVIEW_REQUESTED = "review_requested"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
CLOSED_UNMERGED = "closed_unmerged"
# Not a setting of its own: a PR turned back into a draft undoes "review requested" (the task
# goes to the changes-requested state, but only from the review-requested state).
BACK_TO_DRAFT = "back_to_draft"
STATE_RULES = (REVIEW_REQUESTED, CHANGES_REQUESTED, APPROVED)
CLOSED_CHOICES = {
    "todo": "Move back to the team's first To do state",
    "stay": "Leave the task where it is",
    "cancel": "Cancel the task",
}
OPEN_CATEGORIES = {StateCategory.BACKLOG, StateCategory.UNSTARTED, StateCategory.STARTED}


@dataclass(frozen=True)
class TeamRules:
    review_requested: str = ""
    changes_requested: str = ""
    approved: str = ""
    closed_unmerged: str = "todo"

    def as_dict(self) -> dict[str, str]:
        return {
            REVIEW_REQUESTED: self.review_requested,
            CHANGES_REQUESTED: self.changes_requested,
            APPROVED: self.approved,
            CLOSED_UNMERGED: self.closed_unmerged,
        }


def team_states(team: Team) -> list[WorkflowState]:
    return list(
        WorkflowState.objects.for_workspace(team.workspace_id)
        .filter(team_id=team.pk)
        .order_by("position", "pk")
    )


def default_rules(team: Team, states: list[WorkflowState] | None = None) -> TeamRules:
    states = team_states(team) if states is None else states
    started = [s for s in states if s.category == StateCategory.STARTED]
    review = next((s for s in started if "review" in s.name.lower()), None)
    working = next((s for s in started if s is not review), None)
    return TeamRules(
        review_requested=str(review.pk) if review else "",
        changes_requested=str(working.pk) if working else "",
    )


def rules_for(
    integration: Integration, team: Team, states: list[WorkflowState] | None = None
) -> TeamRules:
    """The team's saved rules, else its defaults (`states`: the team's, if already read)."""
    saved = ((integration.config or {}).get(CONFIG_KEY) or {}).get(str(team.pk))
    if not isinstance(saved, dict):
        return default_rules(team, states)
    fields = TeamRules().as_dict()
    return TeamRules(**{k: str(saved.get(k, fields[k]) or "") for k in fields})


def clean_team_rules(team: Team, data: dict[str, Any], prefix: str = "") -> TeamRules:
    """Check one team's rules: states must be this team's, the closed choice one we know."""
    state_ids = {str(s.pk) for s in team_states(team)}
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for rule in STATE_RULES:
        value = str(data.get(rule) or "").strip()
        if value and value not in state_ids:
            errors[f"{prefix}{rule}"] = f"Choose one of {team.name}'s states, or nothing."
        values[rule] = value
    closed = str(data.get(CLOSED_UNMERGED) or "").strip()
    if closed not in CLOSED_CHOICES:
        errors[f"{prefix}{CLOSED_UNMERGED}"] = "Choose: back to To do, stay, or cancel."
    values[CLOSED_UNMERGED] = closed
    if errors:
        raise FieldErrors(errors)
    return TeamRules(**values)


def save_review_rules(
    *, actor: Membership, integration: Integration, rules: dict[int, TeamRules]
) -> Integration:
    """Admins only; replaces the rules of the teams given, keeps the others'."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    current = dict((integration.config or {}).get(CONFIG_KEY) or {})
    before = dict(current)
    for team_id, team_rules in rules.items():
        current[str(team_id)] = team_rules.as_dict()
    integration.config = {**(integration.config or {}), CONFIG_KEY: current}
    integration.save(update_fields=["config"])
    audit_by(
        actor,
        verb="integration.review_rules_updated",
        obj=integration,
        before={CONFIG_KEY: before},
        after={CONFIG_KEY: current},
    )
    return integration


def apply_review(*, delivery: InboundDelivery, keys: list[str], rule: str) -> int:
    """Apply one rule to every task named; returns how many tasks moved."""
    moved = 0
    for key in keys:
        task = task_by_key(delivery.workspace, key)
        if task is None or task.state_category not in OPEN_CATEGORIES:
            continue  # a done or canceled task is never reopened by a review
        states = team_states(task.team)
        rules = rules_for(delivery.integration, task.team, states)
        target: WorkflowState | None = None
        if rule == BACK_TO_DRAFT:
            if str(task.state_id) != rules.review_requested:
                continue
            target = next((s for s in states if str(s.pk) == rules.changes_requested), None)
        elif rule == CLOSED_UNMERGED:
            category = {"todo": StateCategory.UNSTARTED, "cancel": StateCategory.CANCELED}.get(
                rules.closed_unmerged
            )
            target = next((s for s in states if s.category == category), None)
        else:
            wanted = rules.as_dict().get(rule, "")
            target = next((s for s in states if str(s.pk) == wanted), None)
        if target is not None and move_to(delivery=delivery, task=task, state=target):
            moved += 1
    return moved
