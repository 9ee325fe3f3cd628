"""`{% task_attachments_section task %}`: the attachments section of a task page."""

from __future__ import annotations

from typing import Any

from django import template

from tasks.models import Task

register = template.Library()


@register.inclusion_tag("attachments/_attachments.html", takes_context=True)
def task_attachments_section(context: template.Context, task: Task) -> dict[str, Any]:
    from attachments.views import section_context

    return section_context(context["request"], task)
