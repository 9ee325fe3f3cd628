"""Comments, dependencies and search."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import WorkspaceViewSet
from alignment.api_pagination import OldestFirstCursorPagination
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from tasks import selectors, services
from tasks.api.common import TaskRefField
from tasks.models import (
    Task,
    TaskComment,
    TaskDependency,
)


class TaskCommentSerializer(ModelSerializer):
    author = serializers.SerializerMethodField()
    mentions: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = TaskComment
        fields = ["id", "author", "body", "body_html", "mentions", "created_at"]

    def get_author(self, comment: TaskComment) -> dict[str, Any] | None:
        user = comment.author
        return None if user is None else {"id": user.pk, "full_name": user.full_name}


class TaskCommentWriteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)


@extend_schema_view(
    list=extend_schema(
        summary="List a task's comments, oldest first (cursor-paginated)",
        description="A task's comments, oldest first, with their authors. Cursor-paginated.",
        responses={200: TaskCommentSerializer(many=True), **ERRORS},
    ),
)
class TaskCommentViewSet(ListModelMixin, WorkspaceViewSet):
    """Comments of one task: /tasks/<key>/comments/."""

    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = TaskComment.objects.all()
    serializer_class = TaskCommentSerializer
    pagination_class = OldestFirstCursorPagination

    def task(self) -> Task:
        task = selectors.task_by_key(self.workspace, self.kwargs["key"], viewer=self.member)
        if task is None:
            raise Http404("Task not found.")
        return task

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return (
            qs.filter(task=self.task())
            .select_related("author")
            .prefetch_related("mentions")
            .order_by("created_at", "pk")
        )

    @extend_schema(
        summary="Comment on a task (@handle mentions a member)",
        description=(
            "Comment on a task in Markdown. An @handle mentions a member of the workspace, who is "
            "notified."
        ),
        request=TaskCommentWriteSerializer,
        responses={201: TaskCommentSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        comment = services.task_comment_add(
            actor=self.member, task=self.task(), **self.validated(TaskCommentWriteSerializer)
        )
        return Response(TaskCommentSerializer(comment).data, status=201)

    @extend_schema(
        summary="Delete a comment (its author or an admin)", responses={204: None, **WRITE_ERRORS}
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.task_comment_delete(actor=self.member, comment=self.get_object())
        return Response(status=204)


class TaskDependencySerializer(ModelSerializer):
    blocking = serializers.SerializerMethodField()
    blocked = serializers.SerializerMethodField()

    class Meta:
        model = TaskDependency
        fields = ["id", "blocking", "blocked", "created_at"]

    def get_blocking(self, dependency: TaskDependency) -> str:
        return dependency.blocking.key

    def get_blocked(self, dependency: TaskDependency) -> str:
        return dependency.blocked.key


class TaskDependencyWriteSerializer(serializers.Serializer):
    blocking = TaskRefField()
    blocked = TaskRefField()


class TaskDependencyFilter(django_filters.FilterSet):
    task = django_filters.CharFilter(method="filter_task", help_text="A task key.")

    class Meta:
        model = TaskDependency
        fields = ["task"]

    def filter_task(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # A key the caller cannot see (or that does not exist) lists nothing, as an empty task.
        view = self.request.parser_context["view"]  # type: ignore[union-attr]
        task = selectors.task_by_key(view.workspace, value, viewer=view.member)
        if task is None:
            return queryset.none()
        return queryset.filter(blocked_id=task.pk) | queryset.filter(blocking_id=task.pk)


@extend_schema_view(
    list=extend_schema(
        summary="List task dependencies (?task=<key> for one task's)",
        description=(
            "Which tasks wait for which, across teams. `?task=<key>` gives one task's dependencies."
        ),
        responses={200: TaskDependencySerializer(many=True), **ERRORS},
    ),
)
class TaskDependencyViewSet(ListModelMixin, WorkspaceViewSet):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = TaskDependency.objects.all()
    serializer_class = TaskDependencySerializer

    filterset_class = TaskDependencyFilter

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("blocking__team", "blocked__team")

    @extend_schema(
        summary="Make one task wait for another (any teams; cycles refused with 409)",
        description=(
            "Make one task wait for another, in any team. A dependency that would close a cycle is"
            " refused with 409."
        ),
        request=TaskDependencyWriteSerializer,
        responses={201: TaskDependencySerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskDependencyWriteSerializer)
        blocking, blocked = data["blocking"], data["blocked"]
        dependency = services.task_dependency_add(
            actor=self.member, blocking=blocking, blocked=blocked
        )
        return Response(TaskDependencySerializer(dependency).data, status=201)

    @extend_schema(summary="Remove a task dependency", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.task_dependency_remove(actor=self.member, dependency=self.get_object())
        return Response(status=204)
