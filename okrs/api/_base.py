"""What every OKR viewset shares: ids from bodies resolved inside the workspace, versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.mixins import ListModelMixin
from rest_framework.serializers import Serializer

from alignment.api_base import PreconditionFailed, RetrieveWithETagMixin, WorkspaceViewSet
from alignment.errors import StaleVersion
from alignment.guards import not_here
from alignment.models import Role, User

M = TypeVar("M", bound=Model)
T = TypeVar("T")


class OkrViewSet(WorkspaceViewSet):
    lookup_value_regex = r"[0-9]{1,15}"

    def in_workspace(self, model: type[M], pk: int | None, field: str, what: str) -> M | None:
        """The row with this id in the request's workspace; 404 naming the field otherwise."""
        if pk is None:
            return None
        found = model._default_manager.filter(workspace=self.workspace, pk=pk).first()
        if found is None:
            raise not_here(what, field)
        return found

    def person(self, pk: int | None, field: str = "owner") -> User | None:
        if pk is None:
            return None
        user = User.objects.filter(pk=pk, memberships__workspace=self.workspace).first()
        if user is None:
            raise not_here("That person", field)
        return user

    def versioned(self, write: Callable[[int | None], T]) -> T:
        """Run a versioned write: If-Match mismatches answer 412, a stale body `version` 409."""
        header = bool(self.request.headers.get("If-Match"))
        try:
            return write(self.if_match_version())
        except StaleVersion as exc:
            if not header:
                raise
            current = exc.details.get("current")
            raise PreconditionFailed(
                object=exc.details.get("object", "The object"), etag=f'"v{current}"'
            ) from exc

    def resolve_ids(self, data: dict[str, Any], specs: dict[str, tuple[type[Model], str]]) -> None:
        """Replace the ids in `data` (those present) by rows of this workspace."""
        for field, (model, what) in specs.items():
            if field in data:
                data[field] = self.in_workspace(model, data[field], field, what)
        if "owner" in data:
            data["owner"] = self.person(data["owner"])


class OkrRowViewSet(ListModelMixin, RetrieveWithETagMixin, OkrViewSet):
    # Objectives and key results: viewers read, members write, django-filter filters the list.
    # (A comment, not a docstring: drf-spectacular would show a docstring in every operation.)
    filter_backends = [DjangoFilterBackend]
    read_role = Role.VIEWER
    write_role = Role.MEMBER

    def row_data(self, row: Model) -> dict[str, Any]:
        return dict(self.get_serializer(row).data)

    def update_fields(
        self, serializer: type[Serializer], specs: dict[str, tuple[type[Model], str]]
    ) -> dict[str, Any]:
        """A PATCH body's fields with its ids resolved; its `version` goes to `versioned`."""
        data = dict(self.validated(serializer))
        data.pop("version", None)
        self.resolve_ids(data, specs)
        return data
