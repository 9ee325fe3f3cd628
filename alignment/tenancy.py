"""Resolving the request's workspace and the member's role, once, for pages and the API.

The workspace comes only from the URL slug (or, for the API, from a token bound to that same
workspace). Anything outside the member's workspaces is 404 — indistinguishable from missing;
a role that is too low is 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from alignment.errors import GuestNotAllowed, RoleRequired
from alignment.models import ROLE_RANK, Membership, Role, Workspace

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def resolve_membership(user: Any, slug: str) -> Membership:
    """The user's membership in the workspace with this slug, or Http404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("Workspace not found.")
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace__slug=slug, user=user, user__is_active=True)
        .first()
    )
    if membership is None:
        raise Http404("Workspace not found.")
    return membership


def resolve_memberships(user: Any, slug: str) -> tuple[Membership, list[Membership]]:
    """The user's membership in the workspace with this slug (or Http404), and all of the
    user's memberships by workspace name: one query serves the role check and the page's
    workspace switcher (alignment.context_processors.navigation)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Http404("Workspace not found.")
    memberships = list(
        Membership.objects.select_related("workspace", "user")
        .filter(user=user)
        .order_by("workspace__name", "pk")
    )
    membership = next((m for m in memberships if m.workspace.slug == slug), None)
    if membership is None:
        raise Http404("Workspace not found.")
    return membership, memberships


def require_role(membership: Membership, role: str, *, guests: bool = False) -> None:
    """403 unless `membership` has `role`. Guests pass only where `guests` admits them (a
    route that scopes everything it shows to `Team.objects.visible_to`), never above member."""
    if membership.is_guest and (not guests or ROLE_RANK[role] > ROLE_RANK[Role.MEMBER]):
        raise GuestNotAllowed(role=Role(role).label.lower())
    if ROLE_RANK[membership.role] < ROLE_RANK[role]:
        raise RoleRequired(role=Role(role).label.lower())


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def workspace_view(
    read: str = Role.VIEWER, write: str = Role.MEMBER, *, guests: bool = False
) -> Callable[[ViewFunc], ViewFunc]:
    """Decorate a page view taking `slug`: it receives `workspace` instead of the slug, and
    `request.membership` / `request.workspace` are set. Safe methods need the `read` role,
    unsafe ones the `write` role. `guests=True` admits guests (as members) to a page that shows
    only what `visible_to` lets through; every other page refuses them. The roles are kept on
    the view for the role matrix test."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership, memberships = resolve_memberships(request.user, slug)
            require_role(
                membership, read if request.method in SAFE_METHODS else write, guests=guests
            )
            request.my_memberships = memberships  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
            request.workspace = membership.workspace  # type: ignore[attr-defined]
            return view(request, membership.workspace, *args, **kwargs)

        wrapper.workspace_roles = {  # type: ignore[attr-defined]
            "read": read,
            "write": write,
            "guests": guests,
        }
        return wrapper  # type: ignore[return-value]

    return decorator


def workspace_of(request: HttpRequest) -> Workspace:
    return request.workspace  # type: ignore[attr-defined,no-any-return]


def membership_of(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]
