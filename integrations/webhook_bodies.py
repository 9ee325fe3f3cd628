"""The JSON shapes outbound webhooks carry: one builder per resource, documented in
docs/webhooks.md ("Resource shapes"). The shapes are a public contract: add fields, never
rename or remove one.

Every builder takes rows already loaded with the relations it reads (the `*_rows` loaders
below do that in one query each), so building a body costs a fixed number of queries however
the workspace grows. Ids are integers, decimals are strings (no float rounding), times are
ISO 8601 with offset, and every resource carries `url` (its API resource) and `html_url`
(its page), both absolute (settings.SITE_URL).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from alignment.models import Team, User
from okrs.models import CheckIn, KeyResult, Objective
from roadmaps.models import RoadmapItem
from tasks import custom_values
from tasks.models import Sprint, Task, TaskComment

Body = dict[str, Any]


def absolute(name: str, **kwargs: Any) -> str | None:
    """An absolute URL for a route name; None if the route is not installed."""
    try:
        return settings.SITE_URL + reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _time(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _decimal(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def user_body(user: User | None) -> Body | None:
    """{"id", "email", "name"}: the same person shape as the REST API."""
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.display_name}


def team_body(team: Team | None) -> Body | None:
    if team is None:
        return None
    return {"id": team.pk, "key": team.key, "name": team.name}


# ---- work -------------------------------------------------------------------------------


# The attribute `task_rows` attaches each task's custom field values under (one query for
# all the rows, not one per body).
CUSTOM_VALUES = "webhook_custom_fields"


def task_rows(workspace_id: int, ids: list[int]) -> dict[int, Task]:
    """Tasks (merged tombstones included) with everything `task_body` reads: three queries
    (the rows, their labels, their custom field values)."""
    rows = (
        Task.all_objects.filter(workspace_id=workspace_id, pk__in=ids)
        .select_related(
            "workspace",
            "team",
            "state",
            "assignee",
            "sprint",
            "roadmap_item",
            "parent__team",
            "merged_into__team",
        )
        .prefetch_related("labels")
    )
    found = {task.pk: task for task in rows}
    values = custom_values.values_for(workspace_id, list(found))
    for pk, task in found.items():
        setattr(task, CUSTOM_VALUES, values.get(pk, {}))
    return found


def task_ref(task_id: int, key: str | None = None) -> Body:
    """What a body says of a task it cannot load (gone, or only named by an event)."""
    return {"id": task_id, "key": key}


def task_body(task: Task) -> Body:
    """A task as it is now (inside the publishing transaction: the values after the change)."""
    slug = task.workspace.slug
    return {
        "id": task.pk,
        "key": task.key,
        "title": task.title,
        "url": absolute("api-tasks-detail", slug=slug, key=task.key),
        "html_url": absolute("tasks:task", slug=slug, key=task.key),
        "team": team_body(task.team),
        "state": {
            "id": task.state_id,
            "name": task.state.name,
            "category": task.state_category,
        },
        "assignee": user_body(task.assignee),
        "estimate": _decimal(task.estimate),
        "priority": task.priority,
        "labels": sorted(label.name for label in task.labels.all()),
        "due_date": _time(task.due_date),
        "sprint": {"id": task.sprint.pk, "name": task.sprint.name} if task.sprint else None,
        "roadmap_item": (
            {"id": task.roadmap_item.pk, "title": task.roadmap_item.title}
            if task.roadmap_item
            else None
        ),
        "parent": task_ref(task.parent.pk, task.parent.key) if task.parent else None,
        "merged_into": (
            task_ref(task.merged_into.pk, task.merged_into.key) if task.merged_into else None
        ),
        "version": task.version,
        "created_at": _time(task.created_at),
        "updated_at": _time(task.updated_at),
        "started_at": _time(task.started_at),
        "completed_at": _time(task.completed_at),
        "custom_fields": _custom_fields(task),
    }


def _custom_fields(task: Task) -> dict[str, Any]:
    """Field name → value as the REST API reads it (docs/custom-fields.md), for the fields set
    on the task; `task_rows` loaded them for all its rows at once."""
    values = getattr(task, CUSTOM_VALUES, None)
    if values is None:  # a task loaded elsewhere: read its own (one query)
        values = custom_values.values_for(task.workspace_id, [task.pk]).get(task.pk, {})
    return dict(values)


def comment_body(comment: TaskComment, task_key: str, slug: str) -> Body:
    page = absolute("tasks:task", slug=slug, key=task_key)
    return {
        "id": comment.pk,
        "body": comment.body,
        "author": user_body(comment.author),
        "created_at": _time(comment.created_at),
        "url": absolute("api-task-comments-list", slug=slug, key=task_key),
        "html_url": f"{page}#comment-{comment.pk}" if page else None,
    }


def sprint_row(workspace_id: int, sprint_id: int) -> Sprint | None:
    return (
        Sprint.objects.filter(workspace_id=workspace_id, pk=sprint_id)
        .select_related("workspace", "team")
        .first()
    )


def sprint_body(sprint: Sprint) -> Body:
    slug = sprint.workspace.slug
    return {
        "id": sprint.pk,
        "name": sprint.name,
        "goal": sprint.goal,
        "status": sprint.status,
        "team": team_body(sprint.team),
        "start_date": _time(sprint.start_date),
        "end_date": _time(sprint.end_date),
        "started_at": _time(sprint.started_at),
        "closed_at": _time(sprint.closed_at),
        "url": absolute("api-sprints-detail", slug=slug, pk=sprint.pk),
        "html_url": absolute("tasks:board", slug=slug, team_id=sprint.team_id),
    }


# ---- OKRs -------------------------------------------------------------------------------


def objective_row(workspace_id: int, objective_id: int) -> Objective | None:
    return (
        Objective.objects.filter(workspace_id=workspace_id, pk=objective_id)
        .select_related("workspace", "period", "team", "owner")
        .first()
    )


def objective_body(objective: Objective) -> Body:
    slug = objective.workspace.slug
    return {
        "id": objective.pk,
        "title": objective.title,
        "status": objective.status,
        "level": objective.level,
        "period": {"id": objective.period.pk, "name": objective.period.name},
        "parent_id": objective.parent_id,
        "parent_key_result_id": objective.parent_key_result_id,
        "team": team_body(objective.team),
        "owner": user_body(objective.owner),
        "version": objective.version,
        "url": absolute("api-objectives-detail", slug=slug, pk=objective.pk),
        "html_url": absolute("okrs:objective_detail", slug=slug, objective_id=objective.pk),
    }


def objective_ref(objective_id: int) -> Body:
    return {"id": objective_id}


def key_result_row(workspace_id: int, key_result_id: int) -> KeyResult | None:
    return (
        KeyResult.objects.filter(workspace_id=workspace_id, pk=key_result_id)
        .select_related("workspace", "owner", "objective")
        .first()
    )


def key_result_body(key_result: KeyResult) -> Body:
    slug = key_result.workspace.slug
    page = absolute("okrs:objective_detail", slug=slug, objective_id=key_result.objective_id)
    return {
        "id": key_result.pk,
        "title": key_result.title,
        "objective": {"id": key_result.objective.pk, "title": key_result.objective.title},
        "kind": key_result.kind,
        "unit": key_result.unit,
        "source": key_result.source,
        "baseline": _decimal(key_result.baseline),
        "target": _decimal(key_result.target),
        "current": _decimal(key_result.current),
        "confidence": key_result.confidence,
        "owner": user_body(key_result.owner),
        "last_check_in_at": _time(key_result.last_check_in_at),
        "version": key_result.version,
        "url": absolute("api-key-results-detail", slug=slug, pk=key_result.pk),
        "html_url": f"{page}#kr-{key_result.pk}" if page else None,
    }


def key_result_ref(key_result_id: int, objective_id: int) -> Body:
    """A key result that no longer exists: only what the event named."""
    return {"id": key_result_id, "objective": {"id": objective_id}}


def check_in_row(workspace_id: int, check_in_id: int) -> CheckIn | None:
    return (
        CheckIn.objects.filter(workspace_id=workspace_id, pk=check_in_id)
        .select_related("author")
        .first()
    )


def check_in_body(check_in: CheckIn, slug: str) -> Body:
    return {
        "id": check_in.pk,
        "key_result_id": check_in.key_result_id,
        "value": _decimal(check_in.value),
        "confidence": check_in.confidence,
        "note": check_in.note,
        "author": user_body(check_in.author),
        "created_at": _time(check_in.created_at),
        "url": absolute("api-check-ins-detail", slug=slug, pk=check_in.pk),
    }


# ---- roadmaps ---------------------------------------------------------------------------


def roadmap_item_row(workspace_id: int, item_id: int) -> RoadmapItem | None:
    return (
        RoadmapItem.objects.filter(workspace_id=workspace_id, pk=item_id)
        .select_related("roadmap__workspace", "owner_team")
        .first()
    )


def roadmap_item_body(item: RoadmapItem) -> Body:
    slug = item.roadmap.workspace.slug
    page = absolute("roadmaps:timeline", slug=slug, roadmap_id=item.roadmap_id)
    return {
        "id": item.pk,
        "title": item.title,
        "kind": item.kind,
        "status": item.status,
        "roadmap": {"id": item.roadmap.pk, "name": item.roadmap.name},
        "owner_team": team_body(item.owner_team),
        "start_date": _time(item.start_date),
        "target_date": _time(item.target_date),
        "version": item.version,
        "url": absolute("api-roadmap-items-detail", slug=slug, pk=item.pk),
        "html_url": f"{page}#item-{item.pk}" if page else None,
    }
