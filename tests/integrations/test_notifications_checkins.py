"""The daily check-in reminder: owners of stale key results are told once per staleness
episode, with the workspace's own limit; the beat schedule runs it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from alignment.celery import app as celery_app
from integrations.models import OutboxMessage
from integrations.notifications.checkins import checkin_reminders_send
from integrations.notifications.models import CheckInReminder, Notification
from integrations.notifications.tasks import checkin_reminders_send as checkin_task
from okrs.models import KeyResult, ObjectiveStatus
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory


@pytest.fixture
def objective(world):
    return ObjectiveFactory(
        period=PeriodFactory(workspace=world.workspace), team=world.team, owner=world.owner.user
    )


def key_result(objective, *, checked_days_ago: int | None, created_days_ago: int = 40, **extra):
    kr = KeyResultFactory(objective=objective, title="Cut churn to 2%", **extra)
    now = timezone.now()
    KeyResult.objects.filter(pk=kr.pk).update(
        created_at=now - timedelta(days=created_days_ago),
        last_check_in_at=(
            now - timedelta(days=checked_days_ago) if checked_days_ago is not None else None
        ),
    )
    kr.refresh_from_db()
    return kr


def reminders(user):
    return list(Notification.objects.filter(recipient=user, kind="checkin_due"))


def test_a_stale_key_result_reminds_its_owner_once(world, objective):
    kr = key_result(objective, checked_days_ago=20, owner=world.member.user)

    assert checkin_reminders_send() == 1
    assert checkin_reminders_send() == 0  # rerun: same episode, nothing new

    [row] = reminders(world.member.user)
    assert row.sentence == (
        "Your key result “Cut churn to 2%” has had no check-in for 20 days: time for an update."
    )
    assert row.url == f"/w/{world.workspace.slug}/okrs/key-results/{kr.pk}/check-in/"
    assert row.actor is None
    assert OutboxMessage.objects.filter(event_type="notification.checkin_due").count() == 1
    assert CheckInReminder.objects.get().key_result == kr


def test_a_new_check_in_starts_a_new_episode(world, objective, django_capture_on_commit_callbacks):
    kr = key_result(objective, checked_days_ago=20, owner=world.member.user)
    with django_capture_on_commit_callbacks(execute=True):  # each daily run commits
        checkin_reminders_send()

    # A check-in 16 days ago after all (a late, back-dated one): stale again, a new episode.
    KeyResult.objects.filter(pk=kr.pk).update(last_check_in_at=timezone.now() - timedelta(days=16))
    with django_capture_on_commit_callbacks(execute=True):
        checkin_reminders_send()

    assert len(reminders(world.member.user)) == 2
    assert OutboxMessage.objects.filter(event_type="notification.checkin_due").count() == 2


def test_a_fresh_check_in_needs_no_reminder(world, objective):
    key_result(objective, checked_days_ago=3, owner=world.member.user)

    assert checkin_reminders_send() == 0


def test_a_key_result_never_checked_in_counts_from_its_creation(world, objective):
    key_result(objective, checked_days_ago=None, created_days_ago=30, owner=world.member.user)
    key_result(objective, checked_days_ago=None, created_days_ago=5, owner=world.admin.user)

    checkin_reminders_send()

    [row] = reminders(world.member.user)
    assert "has never had a check-in for 30 days" in row.sentence
    assert reminders(world.admin.user) == []


def test_the_workspaces_own_limit_is_used(world, objective):
    world.workspace.settings = {"okrs": {"stale_after_days": 2}}
    world.workspace.save()
    key_result(objective, checked_days_ago=3, owner=world.member.user)

    assert checkin_reminders_send() == 1


@pytest.mark.parametrize("case", ["no_owner", "archived", "tasks_source", "period_over"])
def test_key_results_that_are_not_reported_by_hand_get_no_reminder(world, objective, case):
    extra = {"owner": None} if case == "no_owner" else {"owner": world.member.user}
    if case == "tasks_source":
        extra["source"] = "tasks"
    kr = key_result(objective, checked_days_ago=20, **extra)
    if case == "archived":
        objective.status = ObjectiveStatus.ARCHIVED
        objective.save()
    if case == "period_over":
        period = kr.objective.period
        period.start = timezone.localdate() - timedelta(days=100)
        period.end = timezone.localdate() - timedelta(days=10)
        period.save()

    assert checkin_reminders_send() == 0
    assert Notification.objects.count() == 0


def test_an_owner_who_turned_reminders_off_gets_none_but_the_episode_is_kept(world, objective):
    from integrations.notifications.preferences import preferences_update

    preferences_update(
        actor=world.member, choices={"checkin_due": {"in_app": False, "email": False}}
    )
    key_result(objective, checked_days_ago=20, owner=world.member.user)

    checkin_reminders_send()

    assert Notification.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert CheckInReminder.objects.count() == 1  # turning it back on does not resend this one


def test_the_beat_runs_the_reminder_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["integrations-checkin-reminders"]

    assert entry["task"] == "integrations.checkin_reminders_send"
    assert entry["schedule"] == timedelta(days=1)
    assert entry["task"] in celery_app.tasks
    assert checkin_task.name == entry["task"]


def test_the_celery_task_sends_the_reminders(world, objective):
    key_result(objective, checked_days_ago=20, owner=world.member.user)

    assert checkin_task.delay().get() == 1
    assert len(reminders(world.member.user)) == 1
