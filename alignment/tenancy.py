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
from django.db import router
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from alignment.errors import GuestNotAllowed, RoleRequired
from alignment.models import ROLE_RANK, Membership, Role, User, Workspace
from alignment.prepared import Prepared
from alignment.timezones import activate_for_request

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
    memberships = _memberships_of(user.pk)
    membership = next((m for m in memberships if m.workspace.slug == slug), None)
    if membership is None:
        raise Http404("Workspace not found.")
    return membership, memberships


# Every column of the three rows, so the instances are whole (nothing deferred), as the
# select_related("workspace", "user") this replaces built them.
_ROWS: tuple[tuple[str, type[Model], list[str]], ...] = tuple(
    (prefix, model, [f.attname for f in model._meta.concrete_fields])
    for prefix, model in (("", Membership), ("workspace__", Workspace), ("user__", User))
)


def _memberships_query(user: int) -> QuerySet[Any]:
    columns = [prefix + name for prefix, _, names in _ROWS for name in names]
    return (
        Membership.objects.filter(user_id=user)
        .order_by("workspace__name", "pk")
        .values_list(*columns)
    )


# Every page runs it: its SQL compiled once a process (≈ 1 ms of CPU a page; issue #15).
MEMBERSHIPS = Prepared(_memberships_query)


def _memberships_of(user_id: int) -> list[Membership]:
    """The user's memberships by workspace name, each with its workspace and user loaded."""
    db = router.db_for_read(Membership)
    made = []
    for row in MEMBERSHIPS.rows(user=user_id):
        objects, start = [], 0
        for _, model, names in _ROWS:
            objects.append(model.from_db(db, names, row[start : start + len(names)]))
            start += len(names)
        membership, workspace, member = objects
        membership._state.fields_cache["workspace"] = workspace
        membership._state.fields_cache["user"] = member
        made.append(membership)
    return made  # type: ignore[return-value]


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
            # Dates on the page in the viewer's zone (TimeZoneMiddleware resets it afterwards).
            activate_for_request(request, membership.workspace)
            return view(request, membership.workspace, *args, **kwargs)

        wrapper.workspace_roles = {  # type: ignore[attr-defined]
            "read": read,
            "write": write,
            "guests": guests,
        }
        return wrapper  # type: ignore[return-value]

    return decorator


def membership_of(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]
