"""The daily snapshot fires at each workspace's local SNAPSHOTS_LOCAL_TIME, once per local day,
never twice and never skipped across DST changes (Berlin, New York) or in zones far from UTC
(UTC+13, UTC-10). The beat tick runs every 15 minutes on a pinned clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from alignment.models import ScheduledRun, Workspace
from dashboards.models import Snapshot
from dashboards.tasks import SNAPSHOT_JOB, snapshots_tick, workspace_snapshot
from tests.factories.core import WorkspaceFactory
from tests.factories.okrs import ObjectiveFactory, PeriodFactory

pytestmark = pytest.mark.django_db

ZONES = ("Europe/Berlin", "America/New_York", "Pacific/Tongatapu", "Pacific/Honolulu")


def workspaces() -> dict[str, Workspace]:
    return {
        zone: WorkspaceFactory(slug=zone.lower().replace("/", "-"), settings={"time_zone": zone})
        for zone in ZONES
    }


def run_ticks(start: datetime, hours: int) -> None:
    now = start
    while now < start + timedelta(hours=hours):
        with time_machine.travel(now, tick=False):
            snapshots_tick()
        now += timedelta(minutes=15)


def runs(spaces: dict[str, Workspace]) -> dict[str, dict[date, datetime]]:
    by_id = {w.pk: zone for zone, w in spaces.items()}
    found: dict[str, dict[date, datetime]] = {zone: {} for zone in spaces}
    for run in ScheduledRun.objects.filter(job=SNAPSHOT_JOB).order_by("ran_at"):
        assert run.day not in found[by_id[run.workspace_id]], "a local day ran twice"
        found[by_id[run.workspace_id]][run.day] = run.ran_at
    return found


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_new_yorks_spring_forward_day_runs_at_the_first_tick_after_the_skipped_slot(
    settings: Any,
):
    settings.SNAPSHOTS_LOCAL_TIME = "02:30"  # skipped in New York on 8 March 2026
    spaces = workspaces()
    run_ticks(utc(3, 7, 12), 48)
    assert runs(spaces) == {
        "America/New_York": {
            date(2026, 3, 7): utc(3, 7, 12),  # 07:00 EST at the first tick: caught up
            date(2026, 3, 8): utc(3, 8, 7),  # 03:00 EDT: the first tick after 02:30
            date(2026, 3, 9): utc(3, 9, 6, 30),  # 02:30 EDT
        },
        "Europe/Berlin": {
            date(2026, 3, 7): utc(3, 7, 12),
            date(2026, 3, 8): utc(3, 8, 1, 30),  # 02:30 CET
            date(2026, 3, 9): utc(3, 9, 1, 30),
        },
        "Pacific/Tongatapu": {  # UTC+13: its 8 March begins at 11:00 UTC on the 7th
            date(2026, 3, 8): utc(3, 7, 13, 30),
            date(2026, 3, 9): utc(3, 8, 13, 30),
        },
        "Pacific/Honolulu": {  # UTC-10
            date(2026, 3, 7): utc(3, 7, 12, 30),
            date(2026, 3, 8): utc(3, 8, 12, 30),
        },
    }


def test_berlins_dst_changes_run_each_local_day_once(settings: Any):
    settings.SNAPSHOTS_LOCAL_TIME = "02:30"
    spaces = workspaces()
    run_ticks(utc(3, 28, 12), 48)  # 29 March: 02:00 CET becomes 03:00 CEST
    assert runs(spaces)["Europe/Berlin"] == {
        date(2026, 3, 28): utc(3, 28, 12),
        date(2026, 3, 29): utc(3, 29, 1),  # 03:00 CEST: 02:30 never happened
        date(2026, 3, 30): utc(3, 30, 0, 30),
    }
    run_ticks(utc(10, 24, 12), 48)  # 25 October: 03:00 CEST becomes 02:00 CET again
    assert runs(spaces)["Europe/Berlin"] == {  # (March's records were pruned meanwhile)
        date(2026, 10, 24): utc(10, 24, 12),
        date(2026, 10, 25): utc(10, 25, 0, 30),  # the first 02:30 (CEST); not the second
        date(2026, 10, 26): utc(10, 26, 1, 30),  # 02:30 CET
    }


def test_the_default_time_stores_each_workspace_under_its_local_date():
    berlin = WorkspaceFactory(slug="berlin", settings={"time_zone": "Europe/Berlin"})
    tonga = WorkspaceFactory(slug="tonga", settings={"time_zone": "Pacific/Tongatapu"})
    for workspace in (berlin, tonga):
        period = PeriodFactory(workspace=workspace, start=date(2026, 4, 1), end=date(2026, 6, 30))
        ObjectiveFactory(period=period)
    # 11:20 UTC on 14 June: 00:20 on 15 June in Tonga (past 00:15), 13:20 on the 14th in Berlin.
    with time_machine.travel(utc(6, 14, 11, 20), tick=False):
        assert snapshots_tick() == 2
    days = dict(Snapshot.objects.filter(kind="objective").values_list("workspace_id", "day"))
    assert days == {berlin.pk: date(2026, 6, 14), tonga.pk: date(2026, 6, 15)}


def test_a_repeated_tick_or_job_writes_nothing_new(settings: Any):
    spaces = workspaces()
    with time_machine.travel(utc(6, 14, 12), tick=False):
        first = snapshots_tick()
        again = snapshots_tick()
        direct = workspace_snapshot(workspace_id=spaces["Europe/Berlin"].pk, day="2026-06-14")
    assert (first, again, direct) == (4, 0, 0)
    assert ScheduledRun.objects.count() == 4


def test_a_failed_run_leaves_no_record_and_the_next_tick_retries(monkeypatch):
    workspace = WorkspaceFactory(slug="berlin", settings={"time_zone": "Europe/Berlin"})

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("worker lost the database")

    monkeypatch.setattr("dashboards.snapshots.take_daily", broken)
    with time_machine.travel(utc(6, 14, 12), tick=False), pytest.raises(RuntimeError):
        snapshots_tick()
    assert not ScheduledRun.objects.exists()
    monkeypatch.undo()
    with time_machine.travel(utc(6, 14, 12, 15), tick=False):
        assert snapshots_tick() == 1
    assert ScheduledRun.objects.get().workspace_id == workspace.pk


def test_beat_runs_the_snapshot_tick_every_fifteen_minutes(settings: Any):
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-snapshots-tick"]
    assert entry["task"] == "dashboards.snapshots_tick"
    assert entry["schedule"] == crontab(minute="*/15")
    assert "dashboards-snapshots-daily" not in settings.CELERY_BEAT_SCHEDULE


def test_old_run_records_are_pruned_by_the_tick():
    WorkspaceFactory(slug="berlin", settings={"time_zone": "Europe/Berlin"})
    with time_machine.travel(utc(6, 1, 12), tick=False):
        snapshots_tick()
    with time_machine.travel(utc(6, 15, 12), tick=False):
        snapshots_tick()
    assert sorted(ScheduledRun.objects.values_list("day", flat=True)) == [
        date(2026, 6, 1),  # 14 days and no more: kept
        date(2026, 6, 15),
    ]
    with time_machine.travel(utc(6, 16, 12), tick=False):
        snapshots_tick()
    assert sorted(ScheduledRun.objects.values_list("day", flat=True)) == [
        date(2026, 6, 15),
        date(2026, 6, 16),
    ]
