"""Request types for views, so type-checking knows what middleware and decorators attach."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from alignment.models import Membership, User, Workspace


class AuthedRequest(HttpRequest):
    """A request behind login_required: `user` is a real User."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


class WorkspaceRequest(AuthedRequest):
    """A request inside @workspace_view: the workspace and the member's role are resolved."""

    workspace: Workspace
    membership: Membership
