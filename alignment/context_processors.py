from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from alignment.models import Membership


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The current workspace and the switcher's list; one query, only for signed-in pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_workspace": getattr(request, "workspace", None),
        "current_membership": getattr(request, "membership", None),
        "my_memberships": Membership.objects.filter(user=user)
        .select_related("workspace")
        .order_by("workspace__name"),
    }
