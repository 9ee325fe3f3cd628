"""Notifications: the in-app inbox, per-person preferences, and delivery through the outbox.

The two entry points other code uses are re-exported here; they load lazily because this
package's models are imported while Django is still loading the app registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignment.models import User, Workspace
    from integrations.notifications.services import Sent


def notification_wants(user: User, workspace: Workspace, kind: str, channel: str) -> bool:
    """Does `user` want `kind` (e.g. "weekly_digest") over `channel` ("in_app", "email",
    "slack") in `workspace`, and can that channel reach them? See preferences.py."""
    from integrations.notifications.preferences import notification_wants as wants

    return wants(user, workspace, kind, channel)


def notify(**kwargs: Any) -> Sent | None:
    """Send a notification inside the current transaction; see services.notify."""
    from integrations.notifications.services import notify as send

    return send(**kwargs)


__all__ = ["notification_wants", "notify"]
