"""Schedule rules: the beat tick fires each rule exactly once per slot, on the workspace's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import time_machine

from alignment import timezones
from automation import engine, services
from automation.models import Rule, RuleRun, RunStatus, Trigger
from automation.tasks import tick
from tests.conftest import forget_cached
from tests.factories.work import TaskFactory


def _schedule_rule(world, *, every: int, zone: str) -> Rule:
    world.workspace.settings = {**(world.workspace.settings or {}), timezones.SETTING: zone}
    world.workspace.save(update_fields=["settings"])
    forget_cached()  # the zone is cached by workspace id
    rule = services.rule_create(
        actor=world.admin,
        name="Nudge open work",
        trigger=Trigger.SCHEDULE,
        every_minutes=every,
        conditions=[{"kind": "team", "value": world.team.key}],
        actions=[{"kind": "comment", "text": "Still open: {task}"}],
    )
    return services.rule_set_enabled(actor=world.admin, rule=rule, enabled=True)


def _tick_at(instant: datetime) -> int:
    with time_machine.travel(instant, tick=False):
        return tick()


def _applied_slots(rule: Rule) -> list[str]:
    runs = RuleRun.objects.filter(rule=rule, status=RunStatus.APPLIED).order_by("created_at")
    return list(runs.values_list("event_key", flat=True))


def test_an_hourly_rule_fires_once_per_local_hour_in_a_half_hour_zone(world):
    # Kolkata is UTC+05:30: its hours start at half past the UTC hour.
    TaskFactory(team=world.team, title="Open work")
    rule = _schedule_rule(world, every=60, zone="Asia/Kolkata")
    fired = [
        _tick_at(datetime(2026, 5, 13, h, m, tzinfo=UTC))
        for h, m in [(10, 31), (10, 31), (10, 59), (11, 0), (11, 29), (11, 30), (11, 45)]
    ]
    # 10:31 UTC opens 16:00 IST; the retried tick and 11:00 UTC (a UTC hour, not a local one)
    # stay in it; 11:30 UTC opens 17:00 IST.
    assert fired == [1, 0, 0, 0, 0, 1, 0]
    assert len(_applied_slots(rule)) == 2


def test_a_retried_tick_after_a_lost_bookkeeping_write_does_not_fire_twice(world):
    TaskFactory(team=world.team, title="Open work")
    rule = _schedule_rule(world, every=15, zone="Europe/Berlin")
    instant = datetime(2026, 5, 13, 10, 31, tzinfo=UTC)
    assert _tick_at(instant) == 1
    # A worker died after the run committed but before it noted the slot: the retry finds the
    # slot's run (unique per rule and slot) and applies nothing.
    Rule.objects.filter(pk=rule.pk).update(last_scheduled_at=None)
    assert _tick_at(instant) == 0
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_a_daily_rule_fires_at_local_midnight(world):
    TaskFactory(team=world.team, title="Open work")
    rule = _schedule_rule(world, every=24 * 60, zone="America/New_York")
    # New York is UTC-4 in May: its day starts at 04:00 UTC, not at 00:00 UTC.
    fired = [_tick_at(datetime(2026, 5, 13, h, 5, tzinfo=UTC)) for h in (2, 3, 4, 12, 23)] + [
        _tick_at(datetime(2026, 5, 14, h, 5, tzinfo=UTC)) for h in (0, 3, 4)
    ]
    assert fired == [1, 0, 1, 0, 0, 0, 0, 1]
    assert len(set(_applied_slots(rule))) == 3


def test_the_repeated_hour_when_clocks_go_back_does_not_fire_again(world):
    TaskFactory(team=world.team, title="Open work")
    rule = _schedule_rule(world, every=60, zone="America/New_York")
    # 1 November 2026: 01:00-02:00 happens twice in New York (05:00 UTC EDT, 06:00 UTC EST).
    fired = [_tick_at(datetime(2026, 11, 1, h, 10, tzinfo=UTC)) for h in (5, 6, 7)]
    assert fired == [1, 0, 1]
    assert engine.schedule_slot(
        datetime(2026, 11, 1, 5, 10, tzinfo=UTC), 60, ZoneInfo("America/New_York")
    ) == engine.schedule_slot(
        datetime(2026, 11, 1, 6, 10, tzinfo=UTC), 60, ZoneInfo("America/New_York")
    )
    assert len(_applied_slots(rule)) == 2
