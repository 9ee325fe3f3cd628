"""What the OKR pages share: object lookups scoped to the workspace, context, responses."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from alignment.http import WorkspaceRequest, is_partial, page_context, see_other
from alignment.models import Workspace
from okrs import progress as math
from okrs.models import KeyResult, Objective, Period

# How a KR's progress is measured, in words (the `basis` of `okrs.progress`).
BASIS = {
    "check_ins": "from check-ins: (value − baseline) ÷ (target − baseline)",
    "milestones": "weighted share of the steps done",
    "done": "done (100%) or not done (0%)",
    "tasks": "done points ÷ total points of the linked work",
    "children": "weighted mean of the objectives aligned under it",
}


def okr_context(request: WorkspaceRequest, **extra: Any) -> dict[str, Any]:
    """What every OKR page needs: the workspace and what the member may do."""
    return page_context(request, status_labels=math.STATUS_LABELS, **extra)


def objectives_of(workspace: Workspace) -> QuerySet[Objective]:
    return Objective.objects.for_workspace(workspace).select_related(
        "period", "team", "owner", "parent", "workspace"
    )


def get_objective(workspace: Workspace, objective_id: int) -> Objective:
    return get_object_or_404(objectives_of(workspace), pk=objective_id)


def get_key_result(workspace: Workspace, key_result_id: int) -> KeyResult:
    return get_object_or_404(
        KeyResult.objects.for_workspace(workspace).select_related(
            "objective__period", "objective__workspace", "owner", "workspace"
        ),
        pk=key_result_id,
    )


def get_period(workspace: Workspace, period_id: int) -> Period:
    return get_object_or_404(Period.objects.for_workspace(workspace), pk=period_id)


def url(name: str, workspace: Workspace, **kwargs: Any) -> str:
    return reverse(f"okrs:{name}", kwargs={"slug": workspace.slug, **kwargs})


__all__ = [
    "BASIS",
    "HttpResponse",
    "get_key_result",
    "get_objective",
    "get_period",
    "is_partial",
    "objectives_of",
    "okr_context",
    "see_other",
    "url",
]
