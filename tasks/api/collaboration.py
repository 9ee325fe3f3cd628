"""Comments, dependencies and search."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import WorkspaceAPIMixin, WorkspaceViewSet
from alignment.api_pagination import OldestFirstCursorPagination
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.parsing import is_digits
from tasks import selectors, services
from tasks.api.common import TaskRefField
from tasks.models import (
    Task,
    TaskComment,
    TaskDependency,
)
from tasks.search import MAX_RESULTS, workspace_search
from tasks.search_query import MAX_QUERY_LENGTH, QUALIFIERS


class TaskCommentSerializer(serializers.ModelSerializer):
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


class TaskCommentViewSet(WorkspaceViewSet):
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
        summary="List a task's comments, oldest first (cursor-paginated)",
        responses={200: TaskCommentSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TaskCommentSerializer(page, many=True).data)

    @extend_schema(
        summary="Comment on a task (@handle mentions a member)",
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


class TaskDependencySerializer(serializers.ModelSerializer):
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


class TaskDependencyViewSet(WorkspaceViewSet):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = TaskDependency.objects.all()
    serializer_class = TaskDependencySerializer

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        key = self.request.query_params.get("task")
        if key:
            task = selectors.task_by_key(self.workspace, key, viewer=self.member)
            qs = (
                qs.filter(blocked_id=task.pk) | qs.filter(blocking_id=task.pk)
                if task
                else qs.none()
            )
        return qs.select_related("blocking__team", "blocked__team")

    @extend_schema(
        summary="List task dependencies (?task=<key> for one task's)",
        parameters=[OpenApiParameter("task", str, description="A task key.")],
        responses={200: TaskDependencySerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TaskDependencySerializer(page, many=True).data)

    @extend_schema(
        summary="Make one task wait for another (any teams; cycles refused with 409)",
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


# ---- search -----------------------------------------------------------------------------


class SearchResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["task", "objective", "key_result", "roadmap_item", "comment"],
        help_text="A comment hit carries its task's key and title; `id` is the comment's.",
    )
    id = serializers.IntegerField()
    key = serializers.CharField(help_text="The task key (a comment's task's), or empty.")
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="The start of a matching comment, or empty.")


class SearchView(WorkspaceAPIMixin, generics.GenericAPIView):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = Task.objects.none()
    serializer_class = SearchResultSerializer
    pagination_class = None

    @extend_schema(
        summary="Search tasks, comments, objectives, key results and roadmap items",
        description=(
            "Rows where every free word matches, best first: the task whose key was typed, "
            "then exact title matches, then by relevance. Qualifiers narrow the search to "
            "tasks (and their comments); an unknown qualifier or value is a 400 naming it."
        ),
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH, "pattern": r"\S"},
                required=True,
                description=(
                    "Free words, a task key, and qualifiers: "
                    + "; ".join(f"`{name}:` {help}" for name, help in QUALIFIERS.items())
                    + '. Quote values with spaces: `state:"In Review"`.'
                ),
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS, "default": 20},
                description=f"How many results, at most {MAX_RESULTS}.",
            ),
            OpenApiParameter(
                "X-Has-More",
                {"type": "string", "enum": ["true", "false"]},
                location=OpenApiParameter.HEADER,
                response=[200],
                description="`true` when more rows matched than `limit`: narrow the query.",
            ),
        ],
        responses={200: SearchResultSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        q = request.query_params.get("q", "")
        if not q.strip():
            raise serializers.ValidationError({"q": ["Type something to search for."]})
        limit = request.query_params.get("limit", "20")
        if not is_digits(limit) or not 1 <= int(limit) <= MAX_RESULTS:
            raise serializers.ValidationError(
                {"limit": [f"Use a whole number from 1 to {MAX_RESULTS}."]}
            )
        outcome = workspace_search(self.workspace, q, limit=int(limit), viewer=self.member)
        response = Response(SearchResultSerializer(outcome.results, many=True).data)
        response["X-Has-More"] = "true" if outcome.has_more else "false"
        return response
