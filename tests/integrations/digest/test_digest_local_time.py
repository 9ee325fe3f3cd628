"""The weekly digest reaches each recipient at DIGEST_LOCAL_TIME on DIGEST_WEEKDAY in their
own zone (their override, else the workspace's), once per week, across a DST change.

Berlin moved to summer time on Sunday 29 March 2026, New York three weeks earlier: on
Monday 30 March, 07:00 is 05:00 UTC in Berlin and 11:00 UTC in New York."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from celery.schedules import crontab

from integrations.models import OutboxMessage
from integrations.tasks import digest_tick
from tests.conftest import World
from tests.integrations.digest.world import SITE, plan_week

pytestmark = pytest.mark.django_db


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def in_berlin_with_a_new_yorker(world: World) -> None:
    world.workspace.settings = {**(world.workspace.settings or {}), "time_zone": "Europe/Berlin"}
    world.workspace.save()
    world.admin.user.time_zone = "America/New_York"
    world.admin.user.save()
    with time_machine.travel(utc(30, 3), tick=False):  # Monday 05:00 in Berlin
        plan_week(world, prefix="Acme", today=date(2026, 3, 30))


def tick_every_quarter_hour(start: datetime, hours: int) -> None:
    now = start
    while now < start + timedelta(hours=hours):
        with time_machine.travel(now, tick=False):
            digest_tick()
        now += timedelta(minutes=15)


def sent() -> dict[str, list[tuple[datetime, str]]]:
    found: dict[str, list[tuple[datetime, str]]] = {}
    for message in OutboxMessage.objects.filter(event_type="weekly_digest", channel="email"):
        found.setdefault(message.destination, []).append((message.created_at, message.dedupe_key))
    return found


def test_each_recipient_gets_the_digest_at_seven_in_their_own_zone_once(
    world: World, settings: Any
):
    settings.SITE_URL = SITE
    in_berlin_with_a_new_yorker(world)
    tick_every_quarter_hour(utc(30, 3), 33)  # Monday 03:00 UTC to Tuesday 12:00 UTC
    by_person = sent()
    week = "2026-W14"
    assert by_person == {
        world.owner.user.email: [
            (utc(30, 5), f"weekly_digest:{world.workspace.pk}:{week}:email:{world.owner.user_id}")
        ],
        world.admin.user.email: [
            (utc(30, 11), f"weekly_digest:{world.workspace.pk}:{week}:email:{world.admin.user_id}")
        ],
    }


def test_nothing_goes_out_before_the_local_hour(world: World, settings: Any):
    settings.SITE_URL = SITE
    in_berlin_with_a_new_yorker(world)
    tick_every_quarter_hour(utc(30, 3), 2)  # up to 04:45 UTC: 06:45 in Berlin
    assert sent() == {}


def test_a_recipient_far_ahead_gets_it_on_their_monday_while_berlin_is_on_sunday(
    world: World, settings: Any
):
    settings.SITE_URL = SITE
    in_berlin_with_a_new_yorker(world)
    world.owner.user.time_zone = "Pacific/Tongatapu"  # UTC+13
    world.owner.user.save()
    # Monday 07:00 in Tonga is 18:00 UTC on Sunday 29 March (20:00 in Berlin).
    tick_every_quarter_hour(utc(29, 17), 3)
    assert [at for at, _ in sent()[world.owner.user.email]] == [utc(29, 18)]
    assert world.admin.user.email not in sent()


def test_beat_runs_the_digest_tick_every_fifteen_minutes(settings: Any):
    entry = settings.CELERY_BEAT_SCHEDULE["integrations-digest-tick"]
    assert entry["task"] == "integrations.digest_tick"
    assert entry["schedule"] == crontab(minute="*/15")
    assert (settings.DIGEST_LOCAL_TIME, settings.DIGEST_WEEKDAY) == ("07:00", 0)
