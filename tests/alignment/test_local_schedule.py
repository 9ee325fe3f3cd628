"""Jobs at a local hour (alignment.local_schedule): the tick fires once per local day, at the
first tick at or after the slot, across DST changes and in zones far from UTC.

Each scenario runs the beat tick every 15 minutes (as production does) over days that
contain a DST change, and records when each local day fired."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alignment.local_schedule import LocalSlot, reached

TICK = timedelta(minutes=15)


def fires(zone: str, slot: LocalSlot, start: datetime, hours: int) -> dict[date, datetime]:
    """Tick every 15 minutes from `start` for `hours`; the first instant each local day fired,
    asserting that no local day fires twice (the once-per-day record is the `fired` dict)."""
    fired: dict[date, datetime] = {}
    now = start
    while now < start + timedelta(hours=hours):
        day = reached(ZoneInfo(zone), slot, now)
        if day is not None and day not in fired:
            fired[day] = now
        now += TICK
    return fired


def test_berlin_spring_forward_fires_at_the_first_tick_after_the_skipped_slot():
    # 29 March 2026: 02:00 CET becomes 03:00 CEST, so 02:30 never happens in Berlin.
    fired = fires("Europe/Berlin", LocalSlot(2, 30), datetime(2026, 3, 28, 0, tzinfo=UTC), 72)
    assert fired == {
        date(2026, 3, 28): datetime(2026, 3, 28, 1, 30, tzinfo=UTC),  # 02:30 CET
        date(2026, 3, 29): datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 03:00 CEST, first after
        date(2026, 3, 30): datetime(2026, 3, 30, 0, 30, tzinfo=UTC),  # 02:30 CEST
    }


def test_berlin_fall_back_fires_once_though_the_slot_comes_round_twice():
    # 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    fired = fires("Europe/Berlin", LocalSlot(2, 30), datetime(2026, 10, 24, 0, tzinfo=UTC), 72)
    assert fired[date(2026, 10, 25)] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # CEST
    assert len(fired) == 3
    # The second 02:30 (CET, 01:30 UTC) is also "reached"; only the record stops it.
    assert reached(
        ZoneInfo("Europe/Berlin"), LocalSlot(2, 30), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    ) == date(2026, 10, 25)


@pytest.mark.parametrize(
    ("start", "slot", "day", "expected"),
    [
        # 8 March 2026: 02:00 EST becomes 03:00 EDT; 02:15 is skipped.
        (datetime(2026, 3, 7, 5, tzinfo=UTC), LocalSlot(2, 15), date(2026, 3, 8), (7, 0)),
        # 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:30 happens twice, fires once (EDT).
        (datetime(2026, 10, 31, 4, tzinfo=UTC), LocalSlot(1, 30), date(2026, 11, 1), (5, 30)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_new_york_dst_days_fire_once(start, slot, day, expected):
    fired = fires("America/New_York", slot, start, 72)  # from local midnight, three days
    assert len(fired) == 3
    assert (fired[day].hour, fired[day].minute) == expected


def test_zones_thirteen_hours_ahead_and_ten_behind_fire_on_their_own_days():
    slot = LocalSlot(0, 15)
    start = datetime(2026, 6, 14, 0, tzinfo=UTC)
    tonga = fires("Pacific/Tongatapu", slot, start, 48)  # UTC+13
    honolulu = fires("Pacific/Honolulu", slot, start, 48)  # UTC-10
    # The first tick finds Tonga at 13:00 on 14 June, past the slot: that day is caught up.
    assert tonga[date(2026, 6, 14)] == start
    # Tonga's Monday 15 June starts at 11:00 UTC on Sunday 14 June.
    assert tonga[date(2026, 6, 15)] == datetime(2026, 6, 14, 11, 15, tzinfo=UTC)
    # Honolulu's Sunday 14 June starts at 10:00 UTC that day.
    assert honolulu[date(2026, 6, 14)] == datetime(2026, 6, 14, 10, 15, tzinfo=UTC)
    assert sorted(tonga) == [date(2026, 6, 14), date(2026, 6, 15), date(2026, 6, 16)]
    # ...and Honolulu, at 14:00 on 13 June.
    assert sorted(honolulu) == [date(2026, 6, 13), date(2026, 6, 14), date(2026, 6, 15)]


def test_a_weekday_slot_fires_only_that_local_day():
    monday_seven = LocalSlot(7, 0, weekday=0)
    fired = fires("Pacific/Tongatapu", monday_seven, datetime(2026, 6, 13, tzinfo=UTC), 24 * 8)
    # Monday 07:00 in Tonga is Sunday 18:00 UTC.
    assert fired == {
        date(2026, 6, 15): datetime(2026, 6, 14, 18, 0, tzinfo=UTC),
    }


@pytest.mark.parametrize("text", ["24:00", "7:60", "seven", ""])
def test_a_bad_local_time_setting_is_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011 - int() and our own message alike
        LocalSlot.parse(text)
