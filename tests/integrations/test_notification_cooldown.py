"""A key result flipping at the at-risk boundary tells its owner once per status per day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards.events import RollupChanged
from integrations.models import Channel
from integrations.notifications import subscribers
from integrations.notifications.models import Notification
from integrations.notifications.preferences import preferences_update
from readmodel.models import NodeKind
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.integrations.test_notifications import inbox, outbox, rollup_changed

# Committed for real: notify() also says a thing once per transaction, and the test-case
# transaction would hide the daily rule behind that one.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def key_result(world):
    period = PeriodFactory(workspace=world.workspace)
    objective = ObjectiveFactory(period=period, team=world.team, owner=world.owner.user)
    return KeyResultFactory(objective=objective, owner=world.member.user, title="Cut churn to 2%")


def flip(world, key_result, times: int) -> None:
    """The daily recompute's see-saw: on track → at risk → on track …"""
    for _ in range(times):
        rollup_changed(world, key_result, "on_track", "at_risk")
        rollup_changed(world, key_result, "at_risk", "on_track")


def test_a_key_result_flipping_all_day_tells_its_owner_once(world, key_result):
    flip(world, key_result, times=4)

    [row] = inbox(world.member.user)
    assert row.sentence == "Your key result “Cut churn to 2%” is now at risk."
    assert len(outbox(Channel.EMAIL)) == 1


def test_getting_worse_again_the_same_day_is_news(world, key_result):
    flip(world, key_result, times=2)
    rollup_changed(world, key_result, "at_risk", "off_track")
    rollup_changed(world, key_result, "on_track", "off_track")

    assert [row.sentence.rsplit(" is now ", 1)[1] for row in inbox(world.member.user)] == [
        "at risk.",
        "off track.",
    ]
    assert len(outbox(Channel.EMAIL)) == 2


def test_the_next_day_it_is_told_again(world, key_result, monkeypatch):
    yesterday = timezone.now() - timedelta(days=1)
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: yesterday)  # the clock everything reads
        flip(world, key_result, times=2)
    Notification.objects.update(created_at=yesterday)  # the row was written then, too
    flip(world, key_result, times=2)

    assert len(inbox(world.member.user)) == 2
    assert len(outbox(Channel.EMAIL)) == 2


def test_an_owner_without_the_inbox_gets_one_email_a_day(world, key_result):
    preferences_update(actor=world.member, choices={"kr_at_risk": {"in_app": False}})
    flip(world, key_result, times=3)

    assert inbox(world.member.user) == []
    assert len(outbox(Channel.EMAIL)) == 1


def test_a_new_owner_hears_it_though_the_old_one_was_told(world, key_result):
    rollup_changed(world, key_result, "on_track", "at_risk")
    key_result.owner = world.admin.user
    key_result.save(update_fields=["owner"])
    rollup_changed(world, key_result, "on_track", "at_risk")

    assert len(inbox(world.member.user)) == 1
    assert len(inbox(world.admin.user)) == 1


def test_the_repeat_costs_one_query_beyond_loading_the_key_result(
    world, key_result, django_assert_num_queries
):
    rollup_changed(world, key_result, "on_track", "at_risk")
    event = RollupChanged(
        workspace_id=world.workspace.pk,
        kind=NodeKind.KEY_RESULT,
        node_id=key_result.pk,
        progress_before="0.2",
        progress_after="0.2",
        status_before="on_track",
        status_after="at_risk",
    )
    with django_assert_num_queries(2):  # the key result (with its joins), then the check
        subscribers.on_rollup_changed(event)
    assert len(inbox(world.member.user)) == 1
