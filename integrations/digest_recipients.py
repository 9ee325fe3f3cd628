"""Who gets the weekly digest: active leaders and company objective owners, minus those who
turned it off. A fixed number of queries however many recipients there are."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q

from alignment import timezones
from alignment.models import Membership, Role, Workspace
from integrations.notifications.models import NotificationChannel, NotificationKind
from integrations.notifications.preferences import members_wanting
from okrs.models import Objective, ObjectiveLevel
from okrs.selectors import current_period


def digest_recipients(workspace: Workspace, *, today: date | None = None) -> list[Membership]:
    """Active owners and admins, plus members who own a company objective of the current period.

    Objective owners who are no longer active members get nothing: a digest never leaves the
    workspace's own people. Two queries.
    """
    period = current_period(workspace, today=today or timezones.today(workspace))
    leaders = Q(role__in=[Role.OWNER, Role.ADMIN])
    if period is not None:
        owners = (
            Objective.objects.for_workspace(workspace)
            .live()
            .filter(period=period, level=ObjectiveLevel.COMPANY, owner__isnull=False)
            .values("owner_id")
        )
        leaders |= Q(user_id__in=owners)
    return list(
        Membership.objects.for_workspace(workspace)
        .active()
        .filter(leaders)
        .exclude(role=Role.GUEST)  # the digest is company-wide; guests see only their teams
        .select_related("user")
        .order_by("user__email")
    )


def wanted_by(memberships: Iterable[Membership], workspace: Workspace) -> list[Membership]:
    """Drop recipients who turned the weekly digest e-mail off: one query for all of them."""
    return members_wanting(
        memberships,
        workspace,
        kind=NotificationKind.WEEKLY_DIGEST,
        channel=NotificationChannel.EMAIL,
    )
