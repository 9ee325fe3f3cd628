"""`{% task_custom_fields task %}`: the custom-fields section of a task page."""

from __future__ import annotations

from typing import Any

from django import template

from tasks.models import Task

register = template.Library()


@register.inclusion_tag("customfields/_task_values.html", takes_context=True)
def task_custom_fields(context: template.Context, task: Task) -> dict[str, Any]:
    from customfields.views import values_context

    return values_context(context["request"], task)
