"""Topic kinds of the whole workspace: the person's own notifications, the dashboards.

`notifications` follows only the socket's own person (the group is theirs); `dashboards`
says "the numbers changed" — no figures travel, the page reads them again on reload, so a
private team's progress reaches nobody through it.
"""

from __future__ import annotations

from live import groups, topics
from live.errors import NotFound
from live.topics import Access, Subscription, TopicKind, no_reference


def notifications_access(access: Access, reference: str) -> Subscription:
    no_reference(reference)
    membership = access.membership
    return Subscription(
        topic="notifications",
        groups=(groups.person(membership.workspace_id, membership.user_id),),
        can_write=False,
    )


def dashboards_access(access: Access, reference: str) -> Subscription:
    no_reference(reference)
    if access.membership.is_guest:
        raise NotFound("guests have no dashboards")  # as the pages refuse them
    return Subscription(
        topic="dashboards", groups=(groups.dashboards(access.workspace_id),), can_write=False
    )


NOTIFICATIONS = TopicKind(name="notifications", authorize=notifications_access)
DASHBOARDS = TopicKind(name="dashboards", authorize=dashboards_access)


def register() -> None:
    for kind in (NOTIFICATIONS, DASHBOARDS):
        topics.register(kind)
