from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from alignment.models import Membership


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The current workspace and the switcher's list; at most one query, only when signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A workspace page already read them with its membership (alignment.tenancy).
    memberships = getattr(request, "my_memberships", None)
    if memberships is None:
        memberships = (
            Membership.objects.filter(user=user)
            .select_related("workspace")
            .order_by("workspace__name", "pk")
        )
    return {
        "current_workspace": getattr(request, "workspace", None),
        "current_membership": getattr(request, "membership", None),
        "my_memberships": memberships,
        # Pages open their socket only where an ASGI server answers it (docs/realtime.md).
        "live_pages": settings.LIVE_PAGES,
    }
