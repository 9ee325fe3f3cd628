"""The task endpoints, addressed by key."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import WorkspaceViewSet
from alignment.api_schema import ERRORS, WRITE_ERRORS
from tasks import selectors, services
from tasks.api.common import KEY_REGEX
from tasks.api.task_serializers import (
    AlignmentLineSerializer,
    SimilarTaskSerializer,
    TaskBulkSerializer,
    TaskFilter,
    TaskMergeSerializer,
    TaskMoveSerializer,
    TaskMoveToTeamSerializer,
    TaskNotDuplicateSerializer,
    TaskPatchSerializer,
    TaskSerializer,
    TaskTransitionSerializer,
    TaskWriteSerializer,
    alignment_line_data,
)
from tasks.models import (
    Task,
)
from tasks.services.rules import UNSET
from tasks.similarity import similar_open_tasks


class TaskViewSet(WorkspaceViewSet):
    """Tasks are addressed by key (`ENG-12`); an old key (team move, merge) still resolves."""

    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    lookup_field = "key"
    lookup_value_regex = KEY_REGEX
    ordering_fields = ["id", "rank", "created_at", "priority"]

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return selectors.tasks_shaped(self.workspace, viewer=self.member)

    def get_object(self) -> Task:
        task = selectors.task_by_key(
            self.workspace, self.kwargs[self.lookup_field], viewer=self.member
        )
        if task is None:
            raise Http404("Task not found.")
        return self.get_queryset().get(pk=task.pk)  # type: ignore[no-any-return]

    def _task_by_key(self, key: str | None, field: str) -> Task | None:
        if key is None:
            return None
        task = selectors.task_by_key(self.workspace, key, viewer=self.member)
        if task is None:
            raise serializers.ValidationError({field: [f"No task {key} in this workspace."]})
        return task

    def _answer(self, task: Task, *, status: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=task.pk)
        return self.respond(TaskSerializer(fresh).data, status=status, obj=fresh)

    @extend_schema(
        summary="List tasks (filters, cursor pagination)",
        responses={200: TaskSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TaskSerializer(page, many=True).data)

    @extend_schema(summary="Get a task by key", responses={200: TaskSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        return self.respond(TaskSerializer(task).data, obj=task)

    @extend_schema(
        summary="Create a task (gets the team's next key)",
        request=TaskWriteSerializer,
        responses={201: TaskSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = services.task_create(actor=self.member, **self.validated(TaskWriteSerializer))
        return self._answer(task, status=201)

    @extend_schema(
        summary="Change a task (If-Match → 412, stale body version → 409)",
        request=TaskPatchSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskPatchSerializer)
        data.pop("version", None)
        labels = data.pop("labels", None)
        task = services.task_update(
            actor=self.member,
            task=self.get_object(),
            expected_version=self.if_match_version(),
            labels=labels,
            **data,
        )
        return self._answer(task)

    @extend_schema(
        summary="Move a task to another state of its team",
        request=TaskTransitionSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskTransitionSerializer)
        task = services.task_transition(
            actor=self.member,
            task=self.get_object(),
            to_state=data["state"],
            expected_version=self.if_match_version(),
        )
        return self._answer(task)

    @extend_schema(
        summary="Drop a card between two neighbours (keys), optionally in a new state/sprint",
        request=TaskMoveSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskMoveSerializer)
        task = services.task_move(
            actor=self.member,
            task=self.get_object(),
            expected_version=self.if_match_version(),
            after=data["after"],
            before=data["before"],
            state=data.get("state", UNSET),
            sprint=data.get("sprint", UNSET),
        )
        return self._answer(task)

    @extend_schema(
        summary="Hand the task to another team (re-keys it; the old key keeps resolving)",
        request=TaskMoveToTeamSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="move-to-team")
    def move_to_team(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskMoveToTeamSerializer)
        task = services.task_move_to_team(
            actor=self.member,
            task=self.get_object(),
            team=data["team"],
            expected_version=self.if_match_version(),
        )
        return self._answer(task)

    @extend_schema(
        summary="Merge this duplicate into another task (it becomes an alias)",
        request=TaskMergeSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskMergeSerializer)
        into = data["into"]
        task = services.task_merge(actor=self.member, source=self.get_object(), into=into)
        return self._answer(task)

    @extend_schema(
        summary="Say this task is not a duplicate of another (stop suggesting it)",
        request=TaskNotDuplicateSerializer,
        responses={204: None, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="not-duplicate")
    def not_duplicate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskNotDuplicateSerializer)
        other = data["other"]
        services.task_mark_not_duplicate(actor=self.member, task=self.get_object(), other=other)
        return Response(status=204)

    @extend_schema(
        summary="Open tasks with a similar title, in any team (duplicate warning)",
        parameters=[
            OpenApiParameter(
                "title",
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"},
                required=True,
                description="The title typed so far.",
            ),
            OpenApiParameter("exclude", str, description="Key of the task being edited."),
        ],
        responses={200: SimilarTaskSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def similar(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        title = request.query_params.get("title", "")
        if not title.strip():
            raise serializers.ValidationError({"title": ["Give a title to compare."]})
        if len(title) > 255:
            raise serializers.ValidationError({"title": ["Use at most 255 characters."]})
        exclude = request.query_params.get("exclude")
        excluded = self._task_by_key(exclude, "exclude") if exclude else None
        tasks = similar_open_tasks(
            self.workspace, title, exclude_id=excluded.pk if excluded else None, viewer=self.member
        )
        return Response(
            [
                {
                    "id": t.pk,
                    "key": t.key,
                    "title": t.title,
                    "state_category": t.state_category,
                    "similarity": round(float(t.similarity), 4),  # type: ignore[attr-defined]
                }
                for t in tasks
            ]
        )

    @extend_schema(
        summary="The task's line up to the objectives it serves",
        description="task → roadmap item → key result(s) → objective → parent objectives, each "
        "with its read-model row's progress (0–1), percent, status and basis (the numbers the "
        "OKR and roadmap endpoints return); `aligned` is false for unaligned work.",
        responses={200: AlignmentLineSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def alignment(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        line = selectors.alignment_line(self.workspace, self.get_object())
        return Response(alignment_line_data(line))

    @extend_schema(
        summary="Bulk: move to a sprint, assign, estimate, label (all or nothing)",
        request=TaskBulkSerializer,
        responses={200: TaskSerializer(many=True), **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskBulkSerializer)
        tasks = services.task_bulk_update(
            actor=self.member,
            task_ids=data["tasks"],
            sprint=data.get("sprint", UNSET),
            assignee=data.get("assignee", UNSET),
            estimate=data.get("estimate", UNSET),
            add_labels=data.get("add_labels", []),
        )
        fresh = self.get_queryset().filter(pk__in=[t.pk for t in tasks]).order_by("pk")
        return Response(TaskSerializer(fresh, many=True).data)


# ---- comments and dependencies ----------------------------------------------------------
