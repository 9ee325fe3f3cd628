"""The base every workspace API view builds on: workspace from the URL, role, scope, ETags.

`WorkspaceViewSet` owns `get_queryset`; subclasses say how to shape it in `scoped_queryset`.
Defining `get_queryset` in a subclass raises at import time, so nothing forgets the scoping.

Reads are DRF's: a viewset mixes in `ListModelMixin` and `RetrieveWithETagMixin` (DRF's
`RetrieveModelMixin` plus the object's version as a strong ETag) and declares the rest:
`serializer_class`, `filterset_class` (django-filter), `ordering_fields`, `pagination_class`
(`alignment.api_pagination`), and `context_for_rows` for what a serializer reads for a whole
page at once (numbers from the read model).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import DataError
from django.db.models import Model, QuerySet
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from alignment import timezones
from alignment.api_idempotency import IdempotencyMixin
from alignment.api_throttling import EarlyThrottleMixin
from alignment.errors import DomainError, RoleRequired, StaleVersion
from alignment.models import ApiToken, Membership, Role, TokenScope, Workspace
from alignment.parsing import is_digits
from alignment.tenancy import SAFE_METHODS, require_role, resolve_membership

if TYPE_CHECKING:
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object


class TokenScopeError(DomainError):
    status, code = 403, "token_scope"
    message = "This API token is read-only; create a token with write scope to change data."


class PreconditionFailed(DomainError):
    status, code = 412, "precondition_failed"
    message = "{object} has changed (now {etag}); fetch it again and retry with the new ETag."


class PreconditionUnverifiable(DomainError):
    status, code = 412, "precondition_failed"
    message = (
        "{object} has no version, so an If-Match other than * cannot be checked; send the "
        "request without If-Match (or with If-Match: *)."
    )


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
        # A token read its membership with it (api_auth.with_membership): no query here.
        membership = getattr(token, "membership", None) or resolve_membership(request.user, slug)
        unsafe = request.method not in SAFE_METHODS
        if token is not None and unsafe and token.scope != TokenScope.WRITE:
            raise TokenScopeError()
        require_role(membership, view.required_role(request), guests=view.guest_access)
        view.member = membership
        view.workspace = membership.workspace
        timezones.remember(membership.workspace)
        return True


class ConditionalRequestMixin(_ViewBase):
    """ETag on every answer, If-None-Match -> 304, If-Match -> 412, for any view it is mixed into.

    - A 2xx body with an integer `version` gets `ETag: "v<version>"` (unless the view set one);
      any other 200 GET gets a weak ETag from a hash of its body.
    - GET/HEAD with an If-None-Match that matches the ETag answers 304 with an empty body.
    - PUT/PATCH/DELETE with If-Match on an object that has a `version` is refused with 412 when
      the tag does not match, before the view runs. Services still compare the version inside
      their conditional UPDATE (`if_match_version`); a StaleVersion they raise while If-Match was
      sent becomes 412 as well, so a race between the check and the write is caught too.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method in ("PUT", "PATCH", "DELETE") and request.headers.get("If-Match"):
            self._check_if_match(request.headers["If-Match"])

    def _check_if_match(self, header: str) -> None:
        lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)
        get_object = getattr(self, "get_object", None)
        if not lookup or lookup not in self.kwargs or get_object is None:
            return
        obj = get_object()  # 404 first: a missing object has no precondition to fail
        if header.strip() == "*":
            return  # any current representation matches
        if not isinstance(getattr(obj, "version", None), int):
            # No strong validator exists for it (its ETag is a weak body hash, for caching), so
            # the condition cannot hold (RFC 9110 §13.1.1): refuse rather than write blindly.
            raise PreconditionUnverifiable(object=object_label(obj))
        current = etag_for(obj)
        if not etag_matches(header, current, weak=False):
            raise PreconditionFailed(object=object_label(obj), etag=current)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, StaleVersion) and self.request.headers.get("If-Match"):
            current = exc.details.get("current")
            exc = PreconditionFailed(
                object=exc.details.get("object", "The object"),
                etag=f'"v{current}"' if current is not None else "a newer version",
            )
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> Response:
        if isinstance(response, Response) and 200 <= response.status_code < 300:
            response = self._conditional(request, response)
        return super().finalize_response(request, response, *args, **kwargs)

    def _conditional(self, request: Request, response: Response) -> Response:
        etag = response.headers.get("ETag")
        if etag is None:
            cacheable = request.method in ("GET", "HEAD") and response.status_code == 200
            etag = etag_for_body(response.data, weak_allowed=cacheable)
            if etag is None:
                return response
            response["ETag"] = etag
        if_none_match = request.headers.get("If-None-Match")
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and if_none_match
            and etag_matches(if_none_match, etag, weak=True)
        ):
            return Response(status=304, headers={"ETag": etag})
        return response


class WorkspaceAPIMixin(EarlyThrottleMixin, IdempotencyMixin, ConditionalRequestMixin):
    """Shared by viewsets and plain API views under /api/v1/workspaces/<slug>/."""

    permission_classes: Any = [WorkspaceAccess]
    read_role: ClassVar[str] = Role.VIEWER
    write_role: ClassVar[str] = Role.MEMBER
    # Per action overrides, e.g. {"destroy": Role.ADMIN}.
    action_roles: ClassVar[dict[str, str]] = {}
    # Guests are refused unless the view shows only their teams' work (`visible_to`).
    guest_access: ClassVar[bool] = False
    member: Membership
    workspace: Workspace

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, OverflowError | DataError):
            # A number or text the database cannot hold (an id of 1e300 in a filter, a string
            # past a column's length) is bad input, not a server error.
            exc = exceptions.ValidationError(
                {"non_field_errors": ["A value in the request is too large or out of range."]}
            )
        return super().handle_exception(exc)

    def required_role(self, request: Request) -> str:
        action = getattr(self, "action", None)
        if action and action in self.action_roles:
            return self.action_roles[action]
        return self.read_role if request.method in SAFE_METHODS else self.write_role

    def validated(self, serializer_class: type[serializers.Serializer], **kwargs: Any) -> Any:
        request: Request = self.request  # type: ignore[attr-defined]
        serializer = serializer_class(
            data=request.data,
            # member: fields that look rows up by what the caller may see (visible_to).
            context={
                "workspace": self.workspace,
                "member": getattr(self, "member", None),
                "request": request,
            },
            **kwargs,
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
        if header and header.strip() != "*":  # "*": any version will do; the body may pin one
            value = header.strip().removeprefix("W/").strip('"')
            if not value.startswith("v") or not is_digits(value[1:]):
                raise exceptions.ParseError('If-Match must be an ETag such as "v3".')
            return int(value[1:])
        version = request.data.get("version") if hasattr(request.data, "get") else None
        if version in (None, ""):
            return None
        try:
            return int(version)
        except (TypeError, ValueError) as exc:
            raise exceptions.ValidationError({"version": ["Must be a whole number."]}) from exc


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id that must belong to the request's workspace (others read as 'does not exist')."""

    def __init__(self, model: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.for_workspace(self.context["workspace"])


def etag_for(obj: Model) -> str:
    return f'"v{obj.version}"'  # type: ignore[attr-defined]


def etag_for_body(data: Any, *, weak_allowed: bool = True) -> str | None:
    """`"v<version>"` for a body with an integer version, else a weak hash of the body."""
    if isinstance(data, dict):
        version = data.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            return f'"v{version}"'
    if not weak_allowed or data is None:
        return None
    encoded = json.dumps(data, sort_keys=True, cls=JSONEncoder, separators=(",", ":"))
    return f'W/"{hashlib.sha256(encoded.encode()).hexdigest()[:32]}"'


def etag_matches(header: str, etag: str, *, weak: bool) -> bool:
    """Does an If-Match / If-None-Match list match `etag`? (RFC 9110 strong / weak comparison)"""
    if header.strip() == "*":
        return True
    if not weak and etag.startswith("W/"):
        return False
    opaque = etag.removeprefix("W/")
    for candidate in (part.strip() for part in header.split(",")):
        if not weak and candidate.startswith("W/"):
            continue
        if candidate.removeprefix("W/") == opaque:
            return True
    return False


def object_label(obj: Model) -> str:
    return f"{str(obj._meta.verbose_name).capitalize()} {obj.pk}"


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
        # visible_to: the workspace filter, and for team-owned rows the private-team and guest
        # rule too (alignment.querysets); a row the caller may not see is 404 like a missing one.
        base = model.objects.visible_to(self.member)
        return self.scoped_queryset(base)

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs

    def get_serializer_context(self) -> dict[str, Any]:
        # As `validated` gives a write serializer: fields may read the caller and workspace.
        return {
            **super().get_serializer_context(),
            "workspace": getattr(self, "workspace", None),
            "member": getattr(self, "member", None),
        }

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """DRF's, with `context_for_rows` of the rows a list page or a retrieve shows."""
        if args and args[0] is not None and "context" not in kwargs:
            # list() evaluates a queryset into its cache: the serializer reads the same rows.
            rows = list(args[0]) if kwargs.get("many") else [args[0]]
            kwargs["context"] = {**self.get_serializer_context(), **self.context_for_rows(rows)}
        return super().get_serializer(*args, **kwargs)

    def context_for_rows(self, rows: list[Any]) -> dict[str, Any]:
        """Serializer context read once for all the rows shown (e.g. their read-model numbers),
        so a page costs the same queries for 1 row as for 100."""
        return {}


class RetrieveWithETagMixin(mixins.RetrieveModelMixin):
    """DRF's retrieve, with `ETag: "v<version>"` from a versioned object even when its body
    shows no version. ConditionalRequestMixin answers a matching If-None-Match with 304."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # DRF's retrieve, keeping the object for its version.
        instance = self.get_object()  # type: ignore[attr-defined]
        response = Response(self.get_serializer(instance).data)  # type: ignore[attr-defined]
        if hasattr(instance, "version"):
            response["ETag"] = etag_for(instance)
        return response


def document_api_conventions(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the headers and answers every API view shares.

    The mixins above add them to every view, so the schema says so once, here: 429 everywhere
    (rate limits), Idempotency-Key on POST, If-None-Match/304 on GET, If-Match/412 on writes,
    and the minimum of integer ids in paths.
    """
    error = {"$ref": "#/components/schemas/Error"}
    if "Error" not in result.get("components", {}).get("schemas", {}):
        return result

    def answer(description: str) -> dict[str, Any]:
        return {"content": {"application/json": {"schema": error}}, "description": description}

    def header(name: str, description: str, **schema: Any) -> dict[str, Any]:
        return {
            "in": "header",
            "name": name,
            "required": False,
            "description": description,
            "schema": {"type": "string", **schema},
        }

    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            parameters = operation.setdefault("parameters", [])
            for parameter in parameters:
                # Ids in a path are row ids: the int converter matches digits only, and no row
                # has id 0, so the schema says what the router and lookups already enforce.
                if parameter.get("in") == "path" and parameter["schema"].get("type") == "integer":
                    parameter["schema"].setdefault("minimum", 1)
            responses.setdefault("429", answer("Rate limit reached; see the Retry-After header."))
            if method == "post":
                parameters.append(
                    header(
                        "Idempotency-Key",
                        "Any unique string: a retry with the same key and body returns the "
                        "first response (for 24 h) instead of running again.",
                        minLength=1,
                        maxLength=255,
                        pattern="^[!-~]+$",
                    )
                )
                responses.setdefault("409", answer("A request with this key is still running."))
                responses.setdefault("422", answer("This key was used for a different request."))
            elif method == "get":
                parameters.append(header("If-None-Match", "An ETag from an earlier answer."))
                responses.setdefault("304", {"description": "Not modified since that ETag."})
            elif method in ("put", "patch", "delete"):
                parameters.append(
                    header("If-Match", 'The ETag you last saw, e.g. "v3".', pattern='^"v[0-9]+"$')
                )
                responses.setdefault("412", answer("The object changed since that ETag."))
    return result


__all__ = [
    "ConditionalRequestMixin",
    "PreconditionFailed",
    "RetrieveWithETagMixin",
    "RoleRequired",
    "TokenScopeError",
    "WorkspaceAPIMixin",
    "WorkspaceAccess",
    "WorkspaceViewSet",
    "document_api_conventions",
    "etag_for",
    "etag_for_body",
    "etag_matches",
]
