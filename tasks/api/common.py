"""Fields and constants shared by the work API modules."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alignment.models import User
from tasks import selectors
from tasks.models import Task

KEY_REGEX = r"[A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9}"
TASK_REF_SCHEMA = {
    "description": "A task's id or key (ENG-12; an old key of a moved or merged task works).",
    "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": f"^{KEY_REGEX}$", "maxLength": 21},
    ],
}


@extend_schema_field(TASK_REF_SCHEMA)
class TaskRefField(serializers.Field):
    """A task by id or key, among the tasks the caller may see (private teams, guests): a
    hidden task reads exactly like a missing one. Validates to the Task."""

    default_error_messages = {
        "invalid": "Give a task id (an integer) or key (ENG-12).",
        "missing": "No task {ref} in this workspace.",
    }

    def to_internal_value(self, data: Any) -> Task:
        member = self.context["member"]
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, int) or data.isdigit():
            number = int(data)
            task = (
                Task.objects.visible_to(member).select_related("team").filter(pk=number).first()
                if 0 < number < 2**63
                else None
            )
        elif re.fullmatch(KEY_REGEX, data.strip()):
            task = selectors.task_by_key(self.context["workspace"], data, viewer=member)
        else:
            self.fail("invalid")
        if task is None:
            self.fail("missing", ref=str(data)[:24])
        return task

    def to_representation(self, value: Task) -> str:
        return value.key


class WorkspaceUserField(serializers.PrimaryKeyRelatedField):
    """A user id of someone in the request's workspace."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=User.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet:
        return User.objects.filter(memberships__workspace=self.context["workspace"])


# ---- workflow states and labels ---------------------------------------------------------
