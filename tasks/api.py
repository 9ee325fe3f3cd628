"""Work API: workflow states, labels, sprints, tasks (by key), comments, dependencies, search.

Viewsets parse and authorize, then call `tasks.services` / `tasks.selectors`: the pages use
the same functions, so the API and the UI cannot disagree.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import WorkspaceAPIMixin, WorkspaceViewSet
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.models import Role, Team, User
from roadmaps.api import ScopedPrimaryKeyField
from roadmaps.models import RoadmapItem
from tasks import selectors, services
from tasks.models import (
    Label,
    Priority,
    Sprint,
    SprintStatus,
    StateCategory,
    Task,
    TaskComment,
    TaskDependency,
    WorkflowState,
)
from tasks.search import workspace_search
from tasks.services.core import UNSET
from tasks.similarity import similar_open_tasks

KEY_REGEX = r"[A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9}"


class WorkspaceUserField(serializers.PrimaryKeyRelatedField):
    """A user id of someone in the request's workspace."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=User.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet:
        return User.objects.filter(memberships__workspace=self.context["workspace"])


# ---- workflow states and labels ---------------------------------------------------------


class WorkflowStateSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowState
        fields = ["id", "team", "name", "category", "position", "wip_limit"]


class WorkflowStateWriteSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    name = serializers.CharField(max_length=40)
    category = serializers.ChoiceField(choices=StateCategory.choices)
    position = serializers.IntegerField(min_value=0, required=False)
    wip_limit = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class WorkflowStatePatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40, required=False)
    category = serializers.ChoiceField(choices=StateCategory.choices, required=False)
    position = serializers.IntegerField(min_value=0, required=False)
    wip_limit = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class WorkflowStateViewSet(WorkspaceViewSet):
    queryset = WorkflowState.objects.all()
    serializer_class = WorkflowStateSerializer
    write_role = Role.ADMIN
    pagination_class = None

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        team = self.request.query_params.get("team", "")
        if team.isdigit():
            qs = qs.filter(team_id=int(team))
        return qs.order_by("team_id", "position", "pk")

    @extend_schema(
        summary="List workflow states (?team=<id> for one team's)",
        responses={200: WorkflowStateSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(WorkflowStateSerializer(self.get_queryset()[:500], many=True).data)

    @extend_schema(
        summary="Add a workflow state to a team (admin)",
        request=WorkflowStateWriteSerializer,
        responses={201: WorkflowStateSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        state = services.workflow_state_create(
            actor=self.member, **self.validated(WorkflowStateWriteSerializer)
        )
        return Response(WorkflowStateSerializer(state).data, status=201)

    @extend_schema(
        summary="Rename, re-categorize, reorder or limit a state (admin)",
        request=WorkflowStatePatchSerializer,
        responses={200: WorkflowStateSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        state = services.workflow_state_update(
            actor=self.member,
            state=self.get_object(),
            **self.validated(WorkflowStatePatchSerializer),
        )
        return Response(WorkflowStateSerializer(state).data)

    @extend_schema(
        summary="Delete an empty workflow state (admin)", responses={204: None, **WRITE_ERRORS}
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.workflow_state_delete(actor=self.member, state=self.get_object())
        return Response(status=204)


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]


class LabelWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)


class LabelViewSet(WorkspaceViewSet):
    queryset = Label.objects.all()
    serializer_class = LabelSerializer
    pagination_class = None

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.order_by("name", "pk")

    @extend_schema(summary="List labels", responses={200: LabelSerializer(many=True), **ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(LabelSerializer(self.get_queryset()[:500], many=True).data)

    @extend_schema(
        summary="Create a label",
        request=LabelWriteSerializer,
        responses={201: LabelSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        label = services.label_create(actor=self.member, **self.validated(LabelWriteSerializer))
        return Response(LabelSerializer(label).data, status=201)

    @extend_schema(
        summary="Rename or recolour a label",
        request=LabelWriteSerializer(partial=True),
        responses={200: LabelSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        label = services.label_update(
            actor=self.member,
            label=self.get_object(),
            **self.validated(LabelWriteSerializer, partial=True),
        )
        return Response(LabelSerializer(label).data)

    @extend_schema(summary="Delete a label", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.label_delete(actor=self.member, label=self.get_object())
        return Response(status=204)


# ---- sprints ----------------------------------------------------------------------------


class SprintSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sprint
        fields = [
            "id",
            "team",
            "name",
            "goal",
            "start_date",
            "end_date",
            "status",
            "started_at",
            "closed_at",
            "version",
        ]


class SprintWriteSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    name = serializers.CharField(max_length=100)
    goal = serializers.CharField(required=False, allow_blank=True, default="")
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class SprintPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    goal = serializers.CharField(required=False, allow_blank=True)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class SprintCloseSerializer(serializers.Serializer):
    carry_to = ScopedPrimaryKeyField(
        Sprint,
        required=False,
        allow_null=True,
        help_text="Sprint for unfinished work; null for the backlog; omit for the next planned.",
    )


class CarryOverSerializer(serializers.Serializer):
    task = serializers.CharField(source="task.key")
    to_sprint = serializers.IntegerField(source="to_sprint_id", allow_null=True)
    estimate = serializers.DecimalField(
        max_digits=6, decimal_places=1, coerce_to_string=False, allow_null=True
    )


class SprintFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    status = django_filters.ChoiceFilter(choices=SprintStatus.choices)

    class Meta:
        model = Sprint
        fields = ["team", "status"]


class SprintViewSet(WorkspaceViewSet):
    queryset = Sprint.objects.all()
    serializer_class = SprintSerializer
    filterset_class = SprintFilter
    ordering_fields = ["id", "start_date"]

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.select_related("team")

    @extend_schema(summary="List sprints", responses={200: SprintSerializer(many=True), **ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(SprintSerializer(page, many=True).data)

    @extend_schema(summary="Get a sprint", responses={200: SprintSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = self.get_object()
        return self.respond(SprintSerializer(sprint).data, obj=sprint)

    @extend_schema(
        summary="Plan a sprint",
        request=SprintWriteSerializer,
        responses={201: SprintSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = services.sprint_create(actor=self.member, **self.validated(SprintWriteSerializer))
        return self.respond(SprintSerializer(sprint).data, status=201, obj=sprint)

    @extend_schema(
        summary="Rename, re-goal or re-date a sprint",
        request=SprintPatchSerializer,
        responses={200: SprintSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(SprintPatchSerializer)
        data.pop("version", None)
        sprint = services.sprint_update(
            actor=self.member,
            sprint=self.get_object(),
            expected_version=self.if_match_version(),
            **data,
        )
        return self.respond(SprintSerializer(sprint).data, obj=sprint)

    @extend_schema(
        summary="Start a planned sprint (one active sprint per team)",
        request=None,
        responses={200: SprintSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = services.sprint_start(actor=self.member, sprint=self.get_object())
        return self.respond(SprintSerializer(sprint).data, obj=sprint)

    @extend_schema(
        summary="Close the active sprint; unfinished work moves on and is recorded",
        request=SprintCloseSerializer,
        responses={
            200: inline_serializer(
                name="SprintClosed",
                fields={
                    "sprint": SprintSerializer(),
                    "carried_over": CarryOverSerializer(many=True),
                },
            ),
            **WRITE_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sprint = self.get_object()
        data = self.validated(SprintCloseSerializer)
        carried = services.sprint_close(
            actor=self.member, sprint=sprint, carry_to=data.get("carry_to", UNSET)
        )
        for carry in carried:
            carry.task.team = sprint.team
        return Response(
            {
                "sprint": SprintSerializer(sprint).data,
                "carried_over": CarryOverSerializer(carried, many=True).data,
            }
        )


# ---- tasks ------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    team = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    labels = LabelSerializer(many=True, read_only=True)
    estimate = serializers.DecimalField(
        max_digits=6, decimal_places=1, coerce_to_string=False, allow_null=True
    )
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta:
        model = Task
        fields = [
            "id",
            "key",
            "team",
            "number",
            "title",
            "description",
            "description_html",
            "state",
            "state_category",
            "assignee",
            "estimate",
            "priority",
            "labels",
            "due_date",
            "roadmap_item",
            "sprint",
            "parent",
            "rank",
            "version",
            "created_at",
            "updated_at",
            "started_at",
            "completed_at",
        ]

    def get_team(self, task: Task) -> dict[str, Any]:
        return {"id": task.team_id, "key": task.team.key, "name": task.team.name}

    def get_state(self, task: Task) -> dict[str, Any]:
        return {"id": task.state_id, "name": task.state.name, "category": task.state.category}

    def get_assignee(self, task: Task) -> dict[str, Any] | None:
        user = task.assignee
        if user is None:
            return None
        return {"id": user.pk, "email": user.email, "full_name": user.full_name}

    def get_parent(self, task: Task) -> int | None:
        return task.parent_id


class TaskWriteSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    state = ScopedPrimaryKeyField(WorkflowState, required=False, allow_null=True, default=None)
    assignee = WorkspaceUserField(required=False, allow_null=True, default=None)
    estimate = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, required=False, allow_null=True, default=None
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NONE)
    labels = ScopedPrimaryKeyField(Label, many=True, required=False, default=list)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    roadmap_item = ScopedPrimaryKeyField(RoadmapItem, required=False, allow_null=True, default=None)
    sprint = ScopedPrimaryKeyField(Sprint, required=False, allow_null=True, default=None)
    parent = ScopedPrimaryKeyField(  # type: ignore[assignment]
        Task, required=False, allow_null=True, default=None
    )


class TaskPatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    state = ScopedPrimaryKeyField(WorkflowState, required=False)
    assignee = WorkspaceUserField(required=False, allow_null=True)
    estimate = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    labels = ScopedPrimaryKeyField(Label, many=True, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    roadmap_item = ScopedPrimaryKeyField(RoadmapItem, required=False, allow_null=True)
    sprint = ScopedPrimaryKeyField(Sprint, required=False, allow_null=True)
    parent = ScopedPrimaryKeyField(Task, required=False, allow_null=True)  # type: ignore[assignment]
    version = serializers.IntegerField(required=False, min_value=1)


class TaskTransitionSerializer(serializers.Serializer):
    state = ScopedPrimaryKeyField(WorkflowState)
    version = serializers.IntegerField(required=False, min_value=1)


class TaskMoveSerializer(serializers.Serializer):
    after = serializers.RegexField(KEY_REGEX, required=False, allow_null=True, default=None)
    before = serializers.RegexField(KEY_REGEX, required=False, allow_null=True, default=None)
    state = ScopedPrimaryKeyField(WorkflowState, required=False)
    sprint = ScopedPrimaryKeyField(Sprint, required=False, allow_null=True)
    version = serializers.IntegerField(min_value=1)


class TaskMoveToTeamSerializer(serializers.Serializer):
    team = ScopedPrimaryKeyField(Team)
    version = serializers.IntegerField(required=False, min_value=1)


class TaskMergeSerializer(serializers.Serializer):
    into = serializers.RegexField(KEY_REGEX)


class TaskNotDuplicateSerializer(serializers.Serializer):
    other = serializers.RegexField(KEY_REGEX)


class TaskBulkSerializer(serializers.Serializer):
    tasks = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=200
    )
    sprint = ScopedPrimaryKeyField(Sprint, required=False, allow_null=True)
    assignee = WorkspaceUserField(required=False, allow_null=True)
    estimate = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, required=False, allow_null=True
    )
    add_labels = ScopedPrimaryKeyField(Label, many=True, required=False, default=list)


class SimilarTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    state_category = serializers.CharField()
    similarity = serializers.FloatField()


class TaskFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    state = django_filters.NumberFilter(field_name="state_id")
    state_category = django_filters.MultipleChoiceFilter(choices=StateCategory.choices)
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    sprint = django_filters.NumberFilter(field_name="sprint_id")
    backlog = django_filters.BooleanFilter(field_name="sprint", lookup_expr="isnull")
    label = django_filters.NumberFilter(field_name="labels__id", distinct=True)
    roadmap_item = django_filters.NumberFilter(field_name="roadmap_item_id")
    unaligned = django_filters.BooleanFilter(field_name="roadmap_item", lookup_expr="isnull")
    key_result = django_filters.NumberFilter(
        field_name="roadmap_item__kr_links__key_result_id", distinct=True
    )
    objective = django_filters.NumberFilter(
        field_name="roadmap_item__kr_links__key_result__objective_id", distinct=True
    )
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Task
        fields = [
            "team",
            "state",
            "state_category",
            "assignee",
            "unassigned",
            "sprint",
            "backlog",
            "label",
            "roadmap_item",
            "unaligned",
            "key_result",
            "objective",
            "parent",
        ]


class TaskViewSet(WorkspaceViewSet):
    """Tasks are addressed by key (`ENG-12`); an old key (team move, merge) still resolves."""

    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    lookup_field = "key"
    lookup_value_regex = KEY_REGEX
    ordering_fields = ["id", "rank", "created_at", "priority"]

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return selectors.tasks_shaped(self.workspace)

    def get_object(self) -> Task:
        task = selectors.task_by_key(self.workspace, self.kwargs[self.lookup_field])
        if task is None:
            raise Http404("Task not found.")
        return self.get_queryset().get(pk=task.pk)  # type: ignore[no-any-return]

    def _task_by_key(self, key: str | None, field: str) -> Task | None:
        if key is None:
            return None
        task = selectors.task_by_key(self.workspace, key)
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
            after=self._task_by_key(data["after"], "after"),
            before=self._task_by_key(data["before"], "before"),
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
        into = self._task_by_key(data["into"], "into")
        assert into is not None
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
        other = self._task_by_key(data["other"], "other")
        assert other is not None
        services.task_mark_not_duplicate(actor=self.member, task=self.get_object(), other=other)
        return Response(status=204)

    @extend_schema(
        summary="Open tasks with a similar title, in any team (duplicate warning)",
        parameters=[
            OpenApiParameter("title", str, required=True, description="The title typed so far."),
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
            self.workspace, title, exclude_id=excluded.pk if excluded else None
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

    queryset = TaskComment.objects.all()
    serializer_class = TaskCommentSerializer

    def task(self) -> Task:
        task = selectors.task_by_key(self.workspace, self.kwargs["key"])
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
        summary="List a task's comments",
        responses={200: TaskCommentSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(TaskCommentSerializer(self.get_queryset()[:500], many=True).data)

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
    blocking = serializers.RegexField(KEY_REGEX)
    blocked = serializers.RegexField(KEY_REGEX)


class TaskDependencyViewSet(WorkspaceViewSet):
    queryset = TaskDependency.objects.all()
    serializer_class = TaskDependencySerializer

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        key = self.request.query_params.get("task")
        if key:
            task = selectors.task_by_key(self.workspace, key)
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
        blocking = self._task(data["blocking"], "blocking")
        blocked = self._task(data["blocked"], "blocked")
        dependency = services.task_dependency_add(
            actor=self.member, blocking=blocking, blocked=blocked
        )
        return Response(TaskDependencySerializer(dependency).data, status=201)

    def _task(self, key: str, field: str) -> Task:
        task = selectors.task_by_key(self.workspace, key)
        if task is None:
            raise serializers.ValidationError({field: [f"No task {key} in this workspace."]})
        return task

    @extend_schema(summary="Remove a task dependency", responses={204: None, **WRITE_ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.task_dependency_remove(actor=self.member, dependency=self.get_object())
        return Response(status=204)


# ---- search -----------------------------------------------------------------------------


class SearchResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()


class SearchView(WorkspaceAPIMixin, generics.GenericAPIView):
    queryset = Task.objects.none()
    serializer_class = SearchResultSerializer
    pagination_class = None

    @extend_schema(
        summary="Search tasks, objectives and roadmap items",
        parameters=[
            OpenApiParameter("q", str, required=True, description="Words, or a task key."),
            OpenApiParameter("limit", int, description="At most 50 (default 20)."),
        ],
        responses={200: SearchResultSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        q = request.query_params.get("q", "")
        if not q.strip():
            raise serializers.ValidationError({"q": ["Type something to search for."]})
        limit = request.query_params.get("limit", "20")
        if not limit.isdigit() or not 1 <= int(limit) <= 50:
            raise serializers.ValidationError({"limit": ["Use a whole number from 1 to 50."]})
        results = workspace_search(self.workspace, q, limit=int(limit))
        return Response(SearchResultSerializer(results, many=True).data)
