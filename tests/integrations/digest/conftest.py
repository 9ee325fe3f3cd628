"""Fixtures of the weekly digest tests: today, a planned week, a local Slack Web API."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from integrations.models import Provider
from tests.conftest import World
from tests.integrations.conftest import SLACK_SECRET, integration_for
from tests.integrations.digest.world import CHANNEL, SITE, Planned, plan_week


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def planned(world: World, today: date, settings: Any) -> Planned:
    settings.SITE_URL = SITE
    return plan_week(world, prefix="Acme", today=today)


@pytest.fixture
def slack_api(world: World, http_peer: Any, settings: Any) -> Any:
    """The workspace's Slack connection with a digest channel, and a local Slack Web API."""
    integration = integration_for(
        world, Provider.SLACK, SLACK_SECRET, config={"digest_channel": CHANNEL}
    )
    integration.set_bot_token("xoxb-digest-bot-token")
    integration.save()
    peer = http_peer(responses=[(200, {}, {"ok": True, "channel": CHANNEL, "ts": "1.2"})]).peer
    settings.SLACK_API_BASE = peer.url + "/api"
    return peer
