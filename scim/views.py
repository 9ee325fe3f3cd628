"""The SCIM 2.0 protocol endpoints under /scim/v2/<workspace>/ (RFC 7644).

Not DRF: SCIM has its own error body, media type and list envelope, and authenticates only
with a SCIM token (never a session or an API token), so these are small Django views around
`ScimView.dispatch`, which authenticates, parses JSON and turns `ScimError` into SCIM's error
format. Everything they read is scoped to the token's workspace.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from scim import services
from scim.errors import InvalidSyntax, InvalidValue, ResourceNotFound, ScimError
from scim.filters import filter_q
from scim.models import ScimGroup, ScimUser
from scim.patch import apply_patch
from scim.resources import (
    group_resource,
    groups_by_user,
    members_by_group,
    user_resource,
)
from scim.schemas import (
    LIST_SCHEMA,
    MAX_RESULTS,
    resource_types,
    schemas,
    service_provider_config,
)

MEDIA_TYPE = "application/scim+json"
MAX_BODY_BYTES = 1_000_000


def scim_response(data: Any, status: int = 200, location: str | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data) if data is not None else b"", status=status, content_type=MEDIA_TYPE
    )
    if location:
        response["Location"] = location
    response["Cache-Control"] = "no-store"
    return response


def list_response(resources: list[dict[str, Any]], total: int, start: int) -> HttpResponse:
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": len(resources),
            "startIndex": start,
            "Resources": resources,
        }
    )


def _int_param(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise InvalidValue(f"{name} must be a whole number.") from exc


def page_of(request: HttpRequest, queryset: QuerySet) -> tuple[list[Any], int, int]:
    """startIndex (1-based, below 1 means 1) and count (0…MAX_RESULTS) as RFC 7644 §3.4.2.4."""
    # Past 2**31 no workspace has rows; the cap keeps OFFSET inside what databases accept.
    start = min(max(1, _int_param(request, "startIndex", 1)), 2**31)
    count = min(max(0, _int_param(request, "count", MAX_RESULTS)), MAX_RESULTS)
    total = queryset.count()
    return list(queryset[start - 1 : start - 1 + count]), total, start


def _excluded(request: HttpRequest, attribute: str) -> bool:
    excluded = request.GET.get("excludedAttributes", "")
    return attribute.lower() in {a.strip().lower() for a in excluded.split(",")}


@method_decorator(csrf_exempt, name="dispatch")  # bearer-token API: no cookies, no CSRF
class ScimView(View):
    """Authenticate the SCIM token for the URL's workspace, then run the handler."""

    http_method_names: ClassVar[list[str]] = ["get"]  # type: ignore[misc]
    actor: services.ScimActor
    base: str

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        slug = kwargs.pop("slug")
        try:
            if request.method and request.method.lower() not in self.http_method_names:
                return self.http_method_not_allowed(request)
            self.actor = services.scim_actor_for(
                authorization=request.headers.get("Authorization", ""), slug=slug
            )
            self.base = request.build_absolute_uri(f"/scim/v2/{slug}/")
            return super().dispatch(request, *args, **kwargs)
        except ScimError as exc:
            response = scim_response(exc.body(), status=exc.status)
            if exc.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
            return response

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = scim_response(
            ScimError(f"{request.method} is not supported here.", status=405).body(), status=405
        )
        response["Allow"] = ", ".join(m.upper() for m in self.http_method_names)
        return response

    def body(self) -> Any:
        if len(self.request.body) > MAX_BODY_BYTES:
            raise ScimError("The request body is too large.", status=413)
        try:
            return json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidSyntax("The request body is not valid JSON.") from exc


class ServiceProviderConfigView(ScimView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return scim_response(service_provider_config(self.base))


class ResourceTypesView(ScimView):
    def get(self, request: HttpRequest, name: str | None = None) -> HttpResponse:
        types = resource_types(self.base)
        if name is not None:
            for resource_type in types:
                if resource_type["id"] == name:
                    return scim_response(resource_type)
            raise ResourceNotFound(f"No resource type {name!r}.")
        return list_response(types, len(types), 1)


class SchemasView(ScimView):
    def get(self, request: HttpRequest, uri: str | None = None) -> HttpResponse:
        documents = schemas(self.base)
        if uri is not None:
            for document in documents:
                if document["id"] == uri:
                    return scim_response(document)
            raise ResourceNotFound(f"No schema {uri!r}.")
        return list_response(documents, len(documents), 1)


USER_FILTERS = {
    "username": "user_name__iexact",
    "externalid": "external_id",
    "id": "pk",
    "emails.value": "user__email__iexact",
    "emails": "user__email__iexact",
    "active": "active",
}
GROUP_FILTERS = {
    "displayname": "team__name__iexact",
    "externalid": "external_id",
    "id": "pk",
}


def _users(view: ScimView) -> QuerySet[ScimUser]:
    return ScimUser.objects.for_workspace(view.actor.workspace).select_related("user")


def _groups(view: ScimView) -> QuerySet[ScimGroup]:
    return ScimGroup.objects.for_workspace(view.actor.workspace).select_related("team")


def _get_or_404(queryset: QuerySet, pk: str, what: str) -> Any:
    found = queryset.filter(pk=int(pk)).first() if pk.isdecimal() and len(pk) < 19 else None
    if found is None:
        raise ResourceNotFound(f"{what} {pk} not found.")
    return found


class UsersView(ScimView):
    http_method_names: ClassVar[list[str]] = ["get", "post"]  # type: ignore[misc]

    def get(self, request: HttpRequest) -> HttpResponse:
        users = _users(self).order_by("pk")
        if request.GET.get("filter"):
            users = users.filter(filter_q(request.GET["filter"], USER_FILTERS))
        page, total, start = page_of(request, users)
        groups = groups_by_user(page)
        return list_response(
            [user_resource(u, self.base, groups.get(u.user_id, [])) for u in page], total, start
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        fields = services.parse_user(self.body())
        scim_user = services.scim_user_create(actor=self.actor, fields=fields)
        resource = user_resource(scim_user, self.base)
        return scim_response(resource, status=201, location=resource["meta"]["location"])


class UserView(ScimView):
    http_method_names: ClassVar[list[str]] = ["get", "put", "patch", "delete"]  # type: ignore[misc]

    def get(self, request: HttpRequest, scim_user_id: str) -> HttpResponse:
        return scim_response(
            user_resource(_get_or_404(_users(self), scim_user_id, "User"), self.base)
        )

    def put(self, request: HttpRequest, scim_user_id: str) -> HttpResponse:
        scim_user = _get_or_404(_users(self), scim_user_id, "User")
        fields = services.parse_user(self.body())
        scim_user = services.scim_user_replace(actor=self.actor, scim_user=scim_user, fields=fields)
        return scim_response(user_resource(scim_user, self.base))

    def patch(self, request: HttpRequest, scim_user_id: str) -> HttpResponse:
        scim_user = _get_or_404(_users(self), scim_user_id, "User")
        document = apply_patch(services.user_document(scim_user), self.body())
        fields = services.parse_user(document)
        scim_user = services.scim_user_replace(actor=self.actor, scim_user=scim_user, fields=fields)
        return scim_response(user_resource(scim_user, self.base))

    def delete(self, request: HttpRequest, scim_user_id: str) -> HttpResponse:
        scim_user = _get_or_404(_users(self), scim_user_id, "User")
        services.scim_user_delete(actor=self.actor, scim_user=scim_user)
        return scim_response(None, status=204)


class GroupsView(ScimView):
    http_method_names: ClassVar[list[str]] = ["get", "post"]  # type: ignore[misc]

    def get(self, request: HttpRequest) -> HttpResponse:
        groups = _groups(self).order_by("pk")
        if request.GET.get("filter"):
            groups = groups.filter(filter_q(request.GET["filter"], GROUP_FILTERS))
        page, total, start = page_of(request, groups)
        members = None if _excluded(request, "members") else members_by_group(page)
        return list_response(
            [
                group_resource(g, self.base, None if members is None else members.get(g.pk, []))
                for g in page
            ],
            total,
            start,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        fields = services.parse_group(self.body())
        group = services.scim_group_create(actor=self.actor, fields=fields)
        resource = group_resource(group, self.base, members_by_group([group]).get(group.pk, []))
        return scim_response(resource, status=201, location=resource["meta"]["location"])


class GroupView(ScimView):
    http_method_names: ClassVar[list[str]] = ["get", "put", "patch", "delete"]  # type: ignore[misc]

    def _resource(self, group: ScimGroup) -> dict[str, Any]:
        members = None
        if not _excluded(self.request, "members"):
            members = members_by_group([group]).get(group.pk, [])
        return group_resource(group, self.base, members)

    def get(self, request: HttpRequest, scim_group_id: str) -> HttpResponse:
        return scim_response(self._resource(_get_or_404(_groups(self), scim_group_id, "Group")))

    def put(self, request: HttpRequest, scim_group_id: str) -> HttpResponse:
        group = _get_or_404(_groups(self), scim_group_id, "Group")
        fields = services.parse_group(self.body())
        group = services.scim_group_replace(actor=self.actor, group=group, fields=fields)
        return scim_response(self._resource(group))

    def patch(self, request: HttpRequest, scim_group_id: str) -> HttpResponse:
        group = _get_or_404(_groups(self), scim_group_id, "Group")
        member_ids = [int(m["value"]) for m in members_by_group([group]).get(group.pk, [])]
        document = apply_patch(services.group_document(group, member_ids), self.body())
        fields = services.parse_group(document)
        group = services.scim_group_replace(actor=self.actor, group=group, fields=fields)
        # Okta and Entra expect 204 or the resource; the resource lets them check the result.
        return scim_response(self._resource(group))

    def delete(self, request: HttpRequest, scim_group_id: str) -> HttpResponse:
        group = _get_or_404(_groups(self), scim_group_id, "Group")
        services.scim_group_delete(actor=self.actor, group=group)
        return scim_response(None, status=204)
