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
    "TransitionBlocked",
    "TransitionNotAllowed",
]


class TransitionNotAllowed(DomainError):
    status, code = 409, "transition_not_allowed"
    message = "{task} cannot move to {state}: that column belongs to another team."


class TransitionBlocked(DomainError):
    """A gate (a standard the team adopted) refuses the move; `failing` lists its checks as
    data ({"standard", "check", "kind", "message", "fix_url"}), so pages and the API can show
    each one with its way to fix it."""

    status, code = 409, "standard_not_met"
    message = "{task} cannot enter {state}: {reasons}"
    structured = ("failing",)


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


class RestoreWindowClosed(DomainError):
    status, code = 409, "restore_window_closed"
    message = "{task} was deleted more than {minutes} minutes ago and can no longer be restored."


class UndoRefused(DomainError):
    status, code = 409, "undo_refused"
    message = (
        "Nothing was undone: {task} was changed since (now version {current}). "
        "Reload to see the change."
    )


class UndoExpired(DomainError):
    status, code = 400, "undo_expired"
    message = "This undo has expired or is not valid; nothing was changed."


class NotArchived(DomainError):
    status, code = 409, "not_archived"
    message = "{task} is not archived; there is nothing to restore."


class SavedViewAlreadyArchived(DomainError):
    status, code = 409, "already_archived"
    message = "The view “{view}” is already archived; restore it or delete it."


class SavedViewNotArchived(DomainError):
    status, code = 409, "not_archived"
    message = "The view “{view}” is not archived; there is nothing to restore."
