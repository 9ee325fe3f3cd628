"""The checks every service makes before a write: the actor's role, and that every object it
touches belongs to the actor's workspace (another workspace's object is 'not found', never
'forbidden'). Views and the API check the route's role first (alignment.tenancy.require_role,
which also decides where guests may go); services check again here, whoever calls them."""

from __future__ import annotations

from django.db.models import Model

from alignment.errors import CrossWorkspaceLink, RoleRequired
from alignment.models import Membership, Role


def require_role(actor: Membership, role: str) -> None:
    """RoleRequired unless the actor has `role` or a higher one."""
    if not actor.has_role(role):
        raise RoleRequired(role=Role(role).label.lower())


def require_member(actor: Membership) -> None:
    require_role(actor, Role.MEMBER)


def require_admin(actor: Membership) -> None:
    require_role(actor, Role.ADMIN)


def not_here(what: str, field: str) -> CrossWorkspaceLink:
    """404 for an id outside the actor's workspace, naming the field that carried it."""
    error = CrossWorkspaceLink(what=what)
    error.fields = {field: [f"{what} was not found in this workspace."]}
    return error


def ensure_same_workspace(
    actor: Membership, *objects: Model | None, what: str = "", field: str = ""
) -> None:
    """Refuse any object of another workspace with the same 404 as a missing one; with
    `field`, the error names the form field that carried the id."""
    for obj in objects:
        if obj is not None and obj.workspace_id != actor.workspace_id:  # type: ignore[attr-defined]
            label = what or str(type(obj)._meta.verbose_name).capitalize()
            if field:
                raise not_here(label, field)
            raise CrossWorkspaceLink(what=label)
