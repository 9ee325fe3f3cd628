"""`{% notification_badge %}`: the header's link to the inbox with the unread count.

Cached per person and workspace (integrations.notifications.services.unread_count), so a page
pays one COUNT only when the cache is cold or a notification was written or read.
"""

from __future__ import annotations

from typing import Any

from django import template

from integrations.notifications.services import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_badge.html", takes_context=True)
def notification_badge(context: dict[str, Any]) -> dict[str, Any]:
    workspace = context.get("current_workspace")
    request = context.get("request")
    user = getattr(request, "user", None)
    if workspace is None or user is None or not user.is_authenticated:
        return {}
    return {"slug": workspace.slug, "unread": unread_count(user.pk, workspace.pk)}
