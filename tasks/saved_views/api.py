"""Saved views in the API: list, create, read, change, archive, restore, delete, and a view's
tasks (keyset pages)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from alignment import keyset
from alignment.api_base import RetrieveWithETagMixin, ScopedPrimaryKeyField, WorkspaceViewSet
from alignment.api_pagination import CappedList
from alignment.api_query import (
    ArchivedFilterSet,
    choice_parameter,
    int_parameter,
    query_choice,
    query_int,
    query_text,
    text_parameter,
)
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.models import Role, Team
from tasks import custom_values
from tasks.api.task_serializers import TaskSerializer
from tasks.saved_views import selectors, services
from tasks.saved_views.models import SavedView, ViewLayout, ViewScope

# The runner's `?sort=`: a table column, or `-column` for descending.
SORT_CHOICES = [value for name in selectors.SORTS for value in (name, f"-{name}")]
CURSOR_MAX_LENGTH = 8192  # a signed position: a 255-character title of emoji and the id fit


class SavedViewSerializer(ModelSerializer):
    owner = serializers.IntegerField(source="owner_id", read_only=True)
    can_change = serializers.SerializerMethodField()

    class Meta:
        model = SavedView
        fields = [
            "id",
            "name",
            "query",
            "scope",
            "team",
            "layout",
            "owner",
            "can_change",
            "version",
            "archived_at",
            "created_at",
            "updated_at",
        ]

    def get_can_change(self, view: SavedView) -> bool:
        return services.may_change(self.context["member"], view)


class SavedViewWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    query = serializers.CharField(
        max_length=200,
        help_text='The search syntax: assignee:me state:"In Review" label:bug due:week …',
    )
    scope = serializers.ChoiceField(choices=ViewScope.choices, default=ViewScope.PERSONAL)
    team = ScopedPrimaryKeyField(Team, required=False, allow_null=True, default=None)
    layout = serializers.ChoiceField(choices=ViewLayout.choices, default=ViewLayout.LIST)


class SavedViewPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    query = serializers.CharField(max_length=200, required=False)
    scope = serializers.ChoiceField(choices=ViewScope.choices, required=False)
    team = ScopedPrimaryKeyField(Team, required=False, allow_null=True)
    layout = serializers.ChoiceField(choices=ViewLayout.choices, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you last read; stale → 409."
    )


class SavedViewTasksSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Tasks in the view, on every page.")
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The page before, or null.")
    results = TaskSerializer(many=True)


class SavedViewFilter(ArchivedFilterSet):
    class Meta:
        model = SavedView
        fields = ["archived"]


@extend_schema_view(
    list=extend_schema(
        summary="List the saved views you may open (?archived=true: the archived ones)",
        description=(
            "The saved views you may open, by name: your own personal views and the views shared "
            "with the workspace or with a team you may see (guests: their teams' and their own). "
            "Each says whether you may change it (`can_change`). Active views by default; "
            "`archived=true` lists the archived ones instead."
        ),
        responses={200: SavedViewSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get a saved view", responses={200: SavedViewSerializer, **ERRORS}
    ),
)
class SavedViewViewSet(ListModelMixin, RetrieveWithETagMixin, WorkspaceViewSet):
    """Views are personal (owner only) or shared with a team or the workspace; any role keeps
    personal views, sharing needs a member, and the owner (or an admin, when shared) changes."""

    guest_access = True  # guests: their own views and their teams' (visible_to)
    queryset = SavedView.objects.all()
    serializer_class = SavedViewSerializer
    filterset_class = SavedViewFilter
    pagination_class = CappedList
    write_role = Role.VIEWER  # a personal view is a way of reading; services check the rest

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("team").order_by("name", "pk")

    def _data(self, view: SavedView) -> Any:
        return self.get_serializer(view).data

    @extend_schema(
        summary="Save a view (a query in the search syntax)",
        description=(
            "Save a filter in the search syntax (`assignee:me label:bug`) under a name, shown as "
            "a board, list or table. A view is yours alone by default; `scope` team (with "
            "`team`) or workspace shares it, which needs the member role or higher (403 for "
            "viewers and guests). A query the search cannot read, or that names an unknown "
            "label or state, is refused with 422 naming the problem."
        ),
        request=SavedViewWriteSerializer,
        responses={201: SavedViewSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view = services.saved_view_create(
            actor=self.member, **self.validated(SavedViewWriteSerializer)
        )
        return self.respond(self._data(view), status=201, obj=view)

    @extend_schema(
        summary="Rename, re-filter, share or re-lay out a view (If-Match → 412)",
        request=SavedViewPatchSerializer,
        responses={200: SavedViewSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(SavedViewPatchSerializer)
        version = data.pop("version", None)
        header = self.if_match_version()
        view = services.saved_view_update(
            actor=self.member,
            view=self.get_object(),
            expected_version=header if header is not None else version,
            **data,
        )
        return self.respond(self._data(view), obj=view)

    @extend_schema(
        summary="Delete a saved view for good (If-Match → 412)",
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.saved_view_delete(
            actor=self.member, view=self.get_object(), expected_version=self.if_match_version()
        )
        return Response(status=204)

    @extend_schema(
        summary="Archive a view: off the list and the palette, restorable (If-Match → 412)",
        request=VersionSerializer,
        responses={200: SavedViewSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.validated(VersionSerializer)
        view = services.saved_view_archive(
            actor=self.member, view=self.get_object(), expected_version=self.if_match_version()
        )
        return self.respond(self._data(view), obj=view)

    @extend_schema(
        summary="Restore an archived view (If-Match → 412)",
        request=VersionSerializer,
        responses={200: SavedViewSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.validated(VersionSerializer)
        view = services.saved_view_restore(
            actor=self.member, view=self.get_object(), expected_version=self.if_match_version()
        )
        return self.respond(self._data(view), obj=view)

    @extend_schema(
        summary="The view's tasks, sorted, in keyset pages (follow `next` / `previous`)",
        description=(
            "Sorted by `sort` (a column, or `-column` for descending; empty cells last either "
            "way; ties by id). Pages follow the `next` and `previous` links, whose `cursor` is "
            "bound to this view and sort: a cursor of another sort is a 400."
        ),
        parameters=[
            choice_parameter(
                "sort",
                SORT_CHOICES,
                "The column to sort by, `-column` for descending (default: `key`).",
            ),
            int_parameter(
                "page_size",
                default=selectors.PAGE_SIZE,
                min_value=1,
                max_value=selectors.MAX_PAGE_SIZE,
                description=f"Tasks per page, 1 to {selectors.MAX_PAGE_SIZE}.",
            ),
            text_parameter(
                "cursor",
                max_length=CURSOR_MAX_LENGTH,
                description=(
                    "The position a `next` or `previous` link carries; opaque, and valid only "
                    "for this view and sort. Pages have no numbers: `page` is a 400."
                ),
            ),
        ],
        responses={200: SavedViewTasksSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def tasks(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view = self.get_object()
        sort, descending = selectors.parse_sort(query_choice(request, "sort", SORT_CHOICES))
        size = query_int(
            request,
            "page_size",
            default=selectors.PAGE_SIZE,
            min_value=1,
            max_value=selectors.MAX_PAGE_SIZE,
        )
        cursor = query_text(request, "cursor", max_length=CURSOR_MAX_LENGTH) or ""
        if "page" in request.query_params:
            raise serializers.ValidationError(
                {"page": ["Pages follow the `next` and `previous` links (a cursor)."]}
            )
        tasks = selectors.view_tasks(view, viewer=self.member).prefetch_related("labels")
        try:
            page = selectors.table_page(
                tasks,
                view=view,
                sort=sort,
                descending=descending,
                cursor=cursor,
                size=size,
            )
        except keyset.BadCursor as exc:
            raise serializers.ValidationError({"cursor": [str(exc)]}) from None
        url = request.build_absolute_uri()
        return Response(
            {
                "count": page.total,
                "next": replace_query_param(url, "cursor", page.next_cursor)
                if page.next_cursor
                else None,
                "previous": replace_query_param(url, "cursor", page.previous_cursor)
                if page.previous_cursor
                else None,
                # The page's custom values in one query, not one per task.
                "results": TaskSerializer(
                    page.tasks,
                    many=True,
                    context={
                        "custom_values": custom_values.values_for(
                            view.workspace_id, [task.pk for task in page.tasks]
                        )
                    },
                ).data,
            }
        )
