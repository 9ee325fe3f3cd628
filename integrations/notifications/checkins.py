"""Check-in reminders: the daily beat job tells each owner of a key result that has had no
check-in for longer than the workspace's staleness limit, once per staleness episode.

The limit is the one the KR status uses (`okrs.progress.Thresholds.stale_after_days`, from
`workspace.settings["okrs"]["stale_after_days"]`, 14 days by default), so the reminder comes
on the day the KR turns "at risk" for a stale check-in. An episode is named by the time it
counts from (the last check-in, or the KR's creation / the period's start when it never had
one): rerunning the job sends nothing new, and a check-in starts a new episode.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alignment import timezones
from alignment.models import Workspace
from integrations.notifications.models import CheckInReminder, NotificationKind
from integrations.notifications.services import About, notify
from okrs import progress
from okrs.models import KeyResult, KeyResultSource, ObjectiveStatus


def _stale_since(key_result: KeyResult, workspace: Workspace) -> datetime:
    """What the staleness counts from, as progress.key_result_status counts it."""
    if key_result.last_check_in_at is not None:
        return key_result.last_check_in_at
    start = key_result.objective.period.start
    period_start = timezones.day_start(workspace, start)
    return max(key_result.created_at, period_start)


def _due_in(workspace: Workspace, now: datetime) -> list[tuple[KeyResult, datetime, int]]:
    """Owned, reported KRs of live objectives in a current period, stale past the limit."""
    limit = progress.Thresholds.from_settings(workspace.settings).stale_after_days
    today = timezones.today(workspace, now=now)
    cutoff = now - timedelta(days=limit)
    candidates = (
        KeyResult.objects.for_workspace(workspace)
        .filter(
            source=KeyResultSource.MANUAL,
            owner__isnull=False,
            owner__is_active=True,
            objective__status=ObjectiveStatus.ACTIVE,
            objective__period__start__lte=today,
            objective__period__end__gte=today,
            objective__period__closed_at__isnull=True,
        )
        .filter(
            Q(last_check_in_at__lt=cutoff) | Q(last_check_in_at__isnull=True, created_at__lt=cutoff)
        )
        .select_related("owner", "objective__period")
        .order_by("pk")
    )
    due = []
    for key_result in candidates:
        since = _stale_since(key_result, workspace)
        days = (today - timezones.local_date(workspace, since)).days
        if days > limit:
            due.append((key_result, since, days))
    return due


def checkin_reminders_send(*, now: datetime | None = None) -> int:
    """Remind owners of stale KRs (each KR once per episode); returns how many were new."""
    now = now or timezone.now()
    sent = 0
    for workspace in Workspace.objects.order_by("pk"):
        for key_result, since, days in _due_in(workspace, now):
            with transaction.atomic():
                reminder, created = CheckInReminder.objects.get_or_create(
                    key_result=key_result,
                    stale_since=since,
                    defaults={"workspace": workspace, "sent_at": now},
                )
                if not created:
                    continue
                url = reverse(
                    "okrs:key_result_check_in",
                    kwargs={"slug": workspace.slug, "key_result_id": key_result.pk},
                )
                never = key_result.last_check_in_at is None
                notify(
                    workspace=workspace,
                    recipient=key_result.owner,
                    kind=NotificationKind.CHECKIN_DUE,
                    sentence=(
                        f"Your key result “{key_result.title}” has "
                        + ("never had a check-in" if never else "had no check-in")
                        + f" for {days} days: time for an update."
                    ),
                    about=About("key_result", key_result.pk, url),
                    key=f"checkin_due:{reminder.pk}",
                )
                sent += 1
    return sent
