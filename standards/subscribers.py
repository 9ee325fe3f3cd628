"""Refused automated moves, recorded: nobody saw their 409, so compliance keeps them."""

from __future__ import annotations

from django.utils import timezone

from standards.compliance_rows import publish_recorded
from standards.models import GateRecord, Outcome, Standard
from tasks.events import TaskTransitionRefused
from tasks.models import Task, WorkflowState


def record_refusal(event: TaskTransitionRefused) -> None:
    task = Task.objects.for_workspace(event.workspace_id).filter(pk=event.task_id).first()
    state = (
        WorkflowState.objects.for_workspace(event.workspace_id).filter(pk=event.state_id).first()
    )
    if task is None or state is None:
        return
    failing: dict[str, list[str]] = {}
    for standard_key, kind in event.failing:
        failing.setdefault(standard_key, []).append(kind)
    standards = Standard.objects.for_workspace(event.workspace_id).filter(key__in=list(failing))
    now = timezone.now()
    records = GateRecord.objects.bulk_create(
        GateRecord(
            workspace_id=event.workspace_id,
            team_id=task.team_id,
            task=task,
            standard=standard,
            sprint_id=task.sprint_id,
            category=state.category,
            outcome=Outcome.BLOCKED,
            failing=failing[standard.key],
            via=event.via,
            actor_id=event.actor_id,
            created_at=now,
        )
        for standard in standards
    )
    publish_recorded(event.workspace_id, records, actor_id=event.actor_id)
