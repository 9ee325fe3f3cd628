"""Refusals of the work domain: tasks, sprints, workflow states."""

from __future__ import annotations

from alignment.errors import DomainError
from roadmaps.errors import DependencyCycle, DependencyExists

__all__ = [
    "DependencyCycle",
    "DependencyExists",
    "MergeNotAllowed",
    "SprintAlreadyActive",
    "SprintClosed",
    "SprintNotActive",
    "SprintStarted",
    "SprintOfAnotherTeam",
    "StateInUse",
    "TaskDependencyCycle",
    "TransitionNotAllowed",
]


class TransitionNotAllowed(DomainError):
    status, code = 409, "transition_not_allowed"
    message = "{task} cannot move to {state}: that column belongs to another team."


class SprintOfAnotherTeam(DomainError):
    status, code = 409, "sprint_of_another_team"
    message = "{task} belongs to {team}; {sprint} is another team's sprint."


class SprintClosed(DomainError):
    status, code = 409, "sprint_closed"
    message = "{sprint} is closed; plan work into an open sprint."


class SprintAlreadyActive(DomainError):
    status, code = 409, "sprint_already_active"
    message = "{team} already has an active sprint ({active}); close it first."


class SprintNotActive(DomainError):
    status, code = 409, "sprint_not_active"
    message = "{sprint} is {status}, not active."


class SprintStarted(DomainError):
    status, code = 409, "sprint_started"
    message = (
        "{sprint} is {status}: only a sprint that has not started can be deleted. "
        "Close it instead; its history stays."
    )


class StateInUse(DomainError):
    status, code = 409, "state_in_use"
    message = "{state} still has {count} task(s) or is the team's last state; move them first."


class MergeNotAllowed(DomainError):
    status, code = 409, "merge_not_allowed"
    message = "{source} cannot be merged into {into}: {reason}."


class TaskDependencyCycle(DependencyCycle):
    """A cycle refused with the loop it would close, so the person sees which link to undo."""

    message = "{blocking} cannot block {blocked}: that would close the loop {path}."
