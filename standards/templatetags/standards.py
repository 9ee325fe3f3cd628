"""`{% task_standards_section task %}`: the task page's standards, check by check, with fixes."""

from __future__ import annotations

from typing import Any

from django import template

from standards.evaluate import evaluate_task
from tasks.models import Task

register = template.Library()


@register.inclusion_tag("standards/_task_section.html", takes_context=True)
def task_standards_section(context: template.Context, task: Task) -> dict[str, Any]:
    workspace = context["workspace"]
    judged = evaluate_task(task, slug=workspace.slug)
    return {"workspace": workspace, "task": task, "judged": judged}
