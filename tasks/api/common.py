"""Fields and constants shared by the work API modules."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from alignment.models import User

KEY_REGEX = r"[A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9}"


class WorkspaceUserField(serializers.PrimaryKeyRelatedField):
    """A user id of someone in the request's workspace."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=User.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet:
        return User.objects.filter(memberships__workspace=self.context["workspace"])


# ---- workflow states and labels ---------------------------------------------------------
