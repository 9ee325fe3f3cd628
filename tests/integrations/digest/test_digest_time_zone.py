"""Digests and notification e-mails in the workspace's and the recipient's time zones.

23:40 UTC on Sunday 14 June 2026 is Monday 15 June, 11:40, in Auckland: a new ISO week there
(2026-W25) while UTC is still in W24.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core.cache import cache

from alignment import timezones
from integrations.digest import send_digest
from integrations.models import OutboxMessage
from integrations.notifications.models import NotificationKind
from integrations.notifications.services import About, notify
from tests.conftest import World
from tests.integrations.digest.world import SITE, plan_week

pytestmark = pytest.mark.django_db

SUNDAY_LATE_UTC = datetime(2026, 6, 14, 23, 40, tzinfo=UTC)  # Mon 15 Jun 11:40 NZST


def zone(world: World, name: str) -> None:
    workspace = timezones.workspace_time_zone_set(actor=world.admin, name=name)
    world.workspace.settings = workspace.settings
    cache.delete(timezones._cache_key(world.workspace.pk))


@pytest.mark.parametrize(
    ("name", "week", "week_of"),
    [("UTC", "2026-W24", "week of 8 Jun"), ("Pacific/Auckland", "2026-W25", "week of 15 Jun")],
    ids=["utc", "auckland"],
)
def test_the_digest_reports_the_week_of_the_workspace_date(
    world: World, settings: Any, name: str, week: str, week_of: str
):
    settings.SITE_URL = SITE
    zone(world, name)
    with time_machine.travel(SUNDAY_LATE_UTC, tick=False):
        plan_week(world, prefix="Acme", today=timezones.today(world.workspace))
        assert send_digest(world.workspace) > 0
    messages = list(
        OutboxMessage.objects.filter(workspace=world.workspace, event_type="weekly_digest")
    )
    assert messages
    assert all(f":{week}:" in m.dedupe_key for m in messages)
    assert all(week_of in m.payload["subject"] for m in messages)


def _email_text(world: World) -> str:
    with time_machine.travel(SUNDAY_LATE_UTC, tick=False):
        notify(
            workspace=world.workspace,
            recipient=world.member.user,
            kind=NotificationKind.KR_AT_RISK,
            sentence="Cut churn is now at risk.",
            about=About("key_result", 1, f"/w/{world.workspace.slug}/okrs/"),
        )
    message = OutboxMessage.objects.get(workspace=world.workspace, channel="email")
    return str(message.payload["text"]) + str(message.payload["html"])


def test_notification_emails_read_in_the_workspace_zone(world: World):
    zone(world, "Pacific/Auckland")
    assert "Mon 15 Jun 2026, 11:40 NZST" in _email_text(world)


def test_notification_emails_read_in_the_recipients_own_zone(world: World):
    zone(world, "Pacific/Auckland")
    timezones.user_time_zone_set(user=world.member.user, name="America/Los_Angeles")
    assert "Sun 14 Jun 2026, 16:40 PDT" in _email_text(world)


def test_a_utc_workspace_reads_utc(world: World):
    text = _email_text(world)
    assert "Sun 14 Jun 2026, 23:40 UTC" in text
    assert date(2026, 6, 14).isoformat()  # the instant is UTC's Sunday, not a local Monday
