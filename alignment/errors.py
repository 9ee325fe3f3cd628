"""Domain errors: each names a refusal, carries a snake_case code, an HTTP status and details.

Views and the API never build error bodies themselves: `alignment.api_errors` and
`alignment.middleware.DomainErrorMiddleware` turn these into responses in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid"
    message: ClassVar[str] = "The request is not valid."
    # Details kept as JSON data in API bodies (the rest are shown as text).
    structured: ClassVar[tuple[str, ...]] = ()

    def __init__(self, message: str | None = None, /, **details: object) -> None:
        text = message or self.message.format(**details)
        super().__init__(text)
        self.text = text
        self.details = details
        self.fields: dict[str, list[str]] = {}


class FieldErrors(DomainError):
    """Input that fails a rule tied to specific fields."""

    status, code = 422, "invalid_fields"
    message = "Some fields need attention."

    def __init__(
        self, fields: Mapping[str, Sequence[str] | str], message: str | None = None
    ) -> None:
        super().__init__(message or self.message)
        self.fields = {k: [v] if isinstance(v, str) else list(v) for k, v in fields.items()}


class NotFound(DomainError):
    status, code = 404, "not_found"
    message = "Not found."


class RoleRequired(DomainError):
    status, code = 403, "role_required"
    message = "This needs the {role} role or higher in this workspace."


class GuestNotAllowed(RoleRequired):
    """A guest on a route that does not admit guests (same code: a role is missing)."""

    message = (
        "Guests can open only their own teams' boards, backlog, sprints and tasks; "
        "this needs a {role} or higher."
    )


class StaleVersion(DomainError):
    status, code = 409, "stale_version"
    message = (
        "{object} was changed by someone else since you loaded it (now version {current}). "
        "Reload to see their change, then try again."
    )


class CrossWorkspaceLink(DomainError):
    status, code = 404, "not_found"
    message = "{what} was not found in this workspace."


class Conflict(DomainError):
    status, code = 409, "conflict"
    message = "That conflicts with the current state."


class LastOwner(DomainError):
    status, code = 409, "last_owner"
    message = "A workspace needs at least one owner; make someone else owner first."


class InvitationInvalid(DomainError):
    status, code = 410, "invitation_invalid"
    message = "This invitation link is {state}. Ask a workspace admin for a new one."


class AlreadyMember(DomainError):
    status, code = 409, "already_member"
    message = "{email} is already a member of this workspace."
