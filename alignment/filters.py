"""django-filter FilterSets of the workspace core, shared by pages and the API."""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from alignment.api_query import IdFilter, UtcIsoDateTimeFilter, as_utc
from alignment.models import AuditEvent, Invitation

DATE_ONLY_LENGTH = len("2025-01-31")


class AuditEventFilter(django_filters.FilterSet):
    """Audit events by verb, actor (user id) and a time range.

    `until` given as a plain date includes that whole day, as people mean it on a date picker.
    """

    verb = django_filters.CharFilter(field_name="verb", help_text="Exact verb, e.g. team.created.")
    actor = IdFilter(field_name="actor_id", help_text="User id of who did it.", min_value=1)
    since = UtcIsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="From this date or ISO 8601 time (inclusive).",
    )
    until = UtcIsoDateTimeFilter(
        method="filter_until", help_text="Up to this date (whole day) or ISO 8601 time."
    )

    class Meta:
        model = AuditEvent
        fields = ["verb", "actor", "since", "until"]

    def filter_until(self, queryset: QuerySet, name: str, value: datetime) -> QuerySet:
        value = as_utc(value)
        raw = str(self.data.get("until", ""))
        if len(raw.strip()) <= DATE_ONLY_LENGTH:
            return queryset.filter(created_at__lt=value + timedelta(days=1))
        return queryset.filter(created_at__lte=value)


def invitation_status_q(status: str) -> Q:
    """The rows of one invitation status, as a filter (mirrors Invitation.status)."""
    now = timezone.now()
    open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    return {
        "pending": open_ & Q(expires_at__gt=now),
        "expired": open_ & Q(expires_at__lte=now),
        "accepted": Q(accepted_at__isnull=False),
        "revoked": Q(accepted_at__isnull=True, revoked_at__isnull=False),
    }[status]


INVITATION_STATUSES = ["pending", "accepted", "expired", "revoked"]


class InvitationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(s, s) for s in INVITATION_STATUSES], method="filter_status"
    )

    class Meta:
        model = Invitation
        fields = ["status"]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(invitation_status_q(value))
