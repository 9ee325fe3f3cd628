"""The base every workspace API view builds on: workspace from the URL, role, scope, ETags.

`WorkspaceViewSet` owns `get_queryset`; subclasses say how to shape it in `scoped_queryset`.
Defining `get_queryset` in a subclass raises at import time, so nothing forgets the scoping.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.errors import DomainError, RoleRequired
from alignment.models import ApiToken, Membership, Role, TokenScope, Workspace
from alignment.tenancy import SAFE_METHODS, require_role, resolve_membership


class TokenScopeError(DomainError):
    status, code = 403, "token_scope"
    message = "This API token is read-only; create a token with write scope to change data."


class PreconditionFailed(DomainError):
    status, code = 412, "precondition_failed"
    message = "{object} has changed (now {etag}); fetch it again and retry with the new ETag."


class WorkspaceAccess(permissions.BasePermission):
    """Resolves the workspace from the URL for the view, then checks token scope and role."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Authentication required: send a Bearer token.")
        slug = view.kwargs.get("slug")
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None and token.workspace.slug != slug:
            # A token bound to workspace A says nothing about B: same answer as "missing".
            raise exceptions.NotFound("Not found.")
        membership = resolve_membership(request.user, slug)
        unsafe = request.method not in SAFE_METHODS
        if token is not None and unsafe and token.scope != TokenScope.WRITE:
            raise TokenScopeError()
        require_role(membership, view.required_role(request))
        view.member = membership
        view.workspace = membership.workspace
        return True


class WorkspaceAPIMixin:
    """Shared by viewsets and plain API views under /api/v1/workspaces/<slug>/."""

    permission_classes: Any = [WorkspaceAccess]
    read_role: ClassVar[str] = Role.VIEWER
    write_role: ClassVar[str] = Role.MEMBER
    # Per action overrides, e.g. {"destroy": Role.ADMIN}.
    action_roles: ClassVar[dict[str, str]] = {}
    member: Membership
    workspace: Workspace

    def required_role(self, request: Request) -> str:
        action = getattr(self, "action", None)
        if action and action in self.action_roles:
            return self.action_roles[action]
        return self.read_role if request.method in SAFE_METHODS else self.write_role

    def validated(self, serializer_class: type[serializers.Serializer], **kwargs: Any) -> Any:
        request: Request = self.request  # type: ignore[attr-defined]
        serializer = serializer_class(
            data=request.data, context={"workspace": self.workspace, "request": request}, **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, data: Any, *, status: int = 200, obj: Model | None = None) -> Response:
        response = Response(data, status=status)
        if obj is not None and hasattr(obj, "version"):
            response["ETag"] = etag_for(obj)
        return response

    def if_match_version(self) -> int | None:
        """The version an If-Match header pins, or the body's `version`; None when neither."""
        request: Request = self.request  # type: ignore[attr-defined]
        header = request.headers.get("If-Match")
        if header:
            value = header.strip().removeprefix("W/").strip('"')
            if not value.startswith("v") or not value[1:].isdigit():
                raise exceptions.ParseError('If-Match must be an ETag such as "v3".')
            return int(value[1:])
        version = request.data.get("version") if hasattr(request.data, "get") else None
        if version in (None, ""):
            return None
        try:
            return int(version)
        except (TypeError, ValueError) as exc:
            raise exceptions.ValidationError({"version": ["Must be a whole number."]}) from exc


def etag_for(obj: Model) -> str:
    return f'"v{obj.version}"'  # type: ignore[attr-defined]


class WorkspaceViewSet(WorkspaceAPIMixin, viewsets.GenericViewSet):
    """Base for every workspace-scoped viewset. Implement `scoped_queryset`, not `get_queryset`."""

    lookup_field = "pk"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} defines get_queryset; implement scoped_queryset(qs) instead so "
                "the workspace filter cannot be forgotten."
            )

    def get_queryset(self) -> QuerySet:
        model = self.queryset.model  # type: ignore[union-attr,arg-type]
        base = model.objects.for_workspace(self.workspace)
        return self.scoped_queryset(base)

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs

    def retrieve_with_etag(self, request: Request, data: Any, obj: Model) -> Response:
        etag = etag_for(obj)
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return self.respond(data, obj=obj)


__all__ = [
    "PreconditionFailed",
    "RoleRequired",
    "TokenScopeError",
    "WorkspaceAPIMixin",
    "WorkspaceAccess",
    "WorkspaceViewSet",
    "etag_for",
]
