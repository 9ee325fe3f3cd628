"""The task endpoints, addressed by key."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin, WorkspaceViewSet
from alignment.api_query import query_text, text_parameter
from alignment.api_schema import ERRORS, WRITE_ERRORS, ErrorSerializer
from tasks import custom_values, selectors, services
from tasks.api.common import KEY_REGEX
from tasks.api.task_rows import for_rows, labels_of, task_rows
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

SIMILAR_TITLE_MAX_LENGTH = 255  # a task title's length
KEY_MAX_LENGTH = 21  # the longest key KEY_REGEX matches

# Every write that can change a task's state may meet a standard's gate (docs/standards.md).
GATED = OpenApiResponse(
    ErrorSerializer,
    description="Stale version, another team's state, or `standard_not_met`: a standard the "
    "team adopted fails; `error.details.failing` lists each failing check with its "
    "`standard`, `kind`, `message` and `fix_url`.",
)


@extend_schema_view(
    retrieve=extend_schema(
        summary="Get a task by key",
        description=(
            "One task by its key (`ENG-12`); a key it had before a team move or a merge still "
            "finds it. Its ETag is the version to send with If-Match when changing it. 404 for a "
            "task you may not see."
        ),
        responses={200: TaskSerializer, **ERRORS},
    ),
)
class TaskViewSet(RetrieveWithETagMixin, WorkspaceViewSet):
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
            self.workspace,
            self.kwargs[self.lookup_field],
            viewer=self.member,
            rows=self.get_queryset(),
        )
        if task is None:
            raise Http404("Task not found.")
        return task

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
        description=(
            "The tasks you may see (guests: their teams' tasks; a private team's only to its "
            "members), in cursor pages of 50 by default. Filter by team, state, state category, "
            "assignee or `unassigned`, sprint or `backlog`, label, roadmap item, key result, "
            "objective, parent or `unaligned`; order by id, rank, created_at or priority."
        ),
        responses={200: TaskSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(for_rows(self.filter_queryset(self.get_queryset()))) or []
        # Not ListModelMixin's: a page's rows are TaskSerializer's shape written by hand, for
        # speed (task_rows; a test holds them equal), with the page's labels read at once.
        return self.get_paginated_response(task_rows(page, labels_of(self.workspace, page)))

    @extend_schema(
        summary="Create a task (gets the team's next key)",
        description=(
            "Add a task to a team; it gets the team's next key and, unless `state` says "
            "otherwise, the team's first backlog state (its first unstarted one when given a "
            "sprint). "
            "Members and above; guests in their own teams. A state, sprint, label, item or "
            "parent of another workspace is refused as not found; creating straight into a "
            "state a standard gates must pass that standard (409 `standard_not_met`)."
        ),
        request=TaskWriteSerializer,
        responses={201: TaskSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = services.task_create(actor=self.member, **self.validated(TaskWriteSerializer))
        return self._answer(task, status=201)

    @extend_schema(
        summary="Change a task (If-Match → 412, stale body version → 409)",
        description=(
            "Change any of a task's fields, its labels (the full new set) and its custom field "
            "values in one write; fields left out stay as they are. Send If-Match (or `version`)"
            " to be refused rather than overwrite someone else's change. Members and above; "
            "guests in their own teams. A new state must be its team's and pass the standards "
            "guarding it."
        ),
        request=TaskPatchSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(TaskPatchSerializer)
        data.pop("version", None)
        labels = data.pop("labels", None)
        custom = data.pop("custom_fields", None)
        task = services.task_update_with_custom_fields(
            actor=self.member,
            task=self.get_object(),
            expected_version=self.if_match_version(),
            labels=labels,
            custom_fields=custom,
            **data,
        )
        return self._answer(task)

    @extend_schema(
        summary="Move a task to another state of its team",
        description=(
            "Move the task to another workflow state of its own team, as dragging it to another "
            "column does. Entering a state a standard guards runs the standard's checks: a "
            "blocking failure is refused with 409 `standard_not_met` listing each failing check"
            " and how to fix it. Members and above; guests in their own teams."
        ),
        request=TaskTransitionSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS, 409: GATED},
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
        description=(
            "Place the task between the tasks `after` and `before` (keys; either may be null at "
            "a column's end), optionally in another state or sprint, as a drag on the board "
            "does. `version` is required: a card someone changed since you read it is refused "
            "with 409. Members and above; guests in their own teams."
        ),
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
        description=(
            "Give the task to another team of the workspace: it gets that team's next key (the "
            "old key keeps leading to it), that team's first state of the same category (else "
            "its first state), and leaves its sprint. A team with no workflow states is refused;"
            " entering a state that team's standards guard must pass them. Members and above."
        ),
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
        description=(
            "Merge this task into `into`: its comments, labels, dependencies and subtasks move "
            "there, it is closed, and its key leads to the surviving task from now on. Merging a "
            "task into itself or into one of its own subtasks is refused with 409. Members and "
            "above."
        ),
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
        description=(
            "Record that this task and `other` are different work, so the duplicate warning "
            "stops suggesting either for the other. Members and above; naming the task itself is"
            " refused."
        ),
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
        description=(
            "Up to five open tasks you may see whose titles resemble `title`, best match first, "
            "each with its similarity (0–1): the warning shown while typing a new task's title. "
            "Pass `exclude` with the key of the task being edited; pairs marked not a duplicate "
            "are skipped. An empty or over-long title is refused."
        ),
        parameters=[
            text_parameter(
                "title",
                max_length=SIMILAR_TITLE_MAX_LENGTH,
                required=True,
                description="The title typed so far (1 to 255 characters, not only spaces).",
            ),
            OpenApiParameter(
                "exclude",
                {"type": "string", "pattern": f"^{KEY_REGEX}$", "maxLength": KEY_MAX_LENGTH},
                description=(
                    "The key of the task being edited (ENG-12), left out of the answer; a key "
                    "of no task you can see is a 400."
                ),
            ),
        ],
        responses={200: SimilarTaskSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def similar(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        title = query_text(
            request,
            "title",
            max_length=SIMILAR_TITLE_MAX_LENGTH,
            required="Give a title to compare.",
        )
        exclude = query_text(request, "exclude", max_length=KEY_MAX_LENGTH)
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
        description=(
            "Change up to 200 tasks (by id) at once: move them to a sprint (or the backlog with "
            "null), assign, estimate, or add labels. All or nothing: an id not found in the "
            "workspace, or nothing to change, refuses the whole request and changes no task. "
            "Members and above. Answers the changed tasks."
        ),
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
        fresh = list(self.get_queryset().filter(pk__in=[t.pk for t in tasks]).order_by("pk"))
        found = custom_values.values_for(self.workspace.pk, [t.pk for t in fresh])
        return Response(TaskSerializer(fresh, many=True, context={"custom_values": found}).data)


# ---- comments and dependencies ----------------------------------------------------------
