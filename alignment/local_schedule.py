"""Jobs that fire at a local wall-clock time: each workspace's (or each person's) own hour.

Beat runs one tick every few minutes in UTC; the tick asks `reached` which local days have
come to their slot (e.g. 00:15 for snapshots, Monday 07:00 for the digest) in each zone, and
`run_once` makes the work happen at most once per (workspace, job, local day).

Why "reached" rather than "is now": a wall-clock hour can be skipped (spring forward: 02:30
does not exist in Europe/Berlin on 29 March 2026) or happen twice (fall back: 02:30 comes
round again on 25 October). Asking "is the local time at or past the slot, on this local
day?" fires at the first tick after the slot on a day that skips it, and the once-per-day
record stops the repeated hour from firing again. A tick that is missed (beat down) is
caught up later the same local day; a day that passes entirely without a tick is not
caught up (a digest the next day would report the wrong week).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TypeVar

from django.db import IntegrityError, transaction

from alignment.timezones import zone_named

T = TypeVar("T")
# Runs are only ever looked up for today's local dates; older records are pruned.
KEEP_DAYS = 14


@dataclass(frozen=True)
class LocalSlot:
    """A wall-clock time, optionally on one weekday (0 = Monday), in whatever zone applies."""

    hour: int
    minute: int = 0
    weekday: int | None = None

    @classmethod
    def parse(cls, text: str, *, weekday: int | None = None) -> LocalSlot:
        """ "07:00" → LocalSlot(7, 0); a clear ValueError for anything else (settings)."""
        hours, _, minutes = text.strip().partition(":")
        slot = cls(int(hours), int(minutes or 0), weekday)
        if not (0 <= slot.hour < 24 and 0 <= slot.minute < 60):
            raise ValueError(f"{text!r} is not a time of day (HH:MM).")
        if weekday is not None and not 0 <= weekday < 7:
            raise ValueError(f"{weekday!r} is not a weekday (0 = Monday … 6 = Sunday).")
        return slot


def reached(zone: tzinfo, slot: LocalSlot, now: datetime) -> date | None:
    """The local date in `zone` at `now` when its slot has been reached that day, else None."""
    local = now.astimezone(zone)
    if slot.weekday is not None and local.weekday() != slot.weekday:
        return None
    if (local.hour, local.minute) < (slot.hour, slot.minute):
        return None
    return local.date()


def due_zones(names: Iterable[str], slot: LocalSlot, now: datetime) -> dict[str, date]:
    """Of the zone names given, those whose slot has been reached, with their local date."""
    found = {}
    for name in set(names):
        day = reached(zone_named(name), slot, now)
        if day is not None:
            found[name] = day
    return found


def already_ran(job: str, pairs: Iterable[tuple[int, date]]) -> set[tuple[int, date]]:
    """Which (workspace id, local day) pairs have a run of `job` recorded (one query)."""
    from alignment.models import ScheduledRun

    wanted = set(pairs)
    if not wanted:
        return set()
    rows = ScheduledRun.objects.filter(
        job=job,
        workspace_id__in={w for w, _ in wanted},
        day__gte=min(d for _, d in wanted),
    ).values_list("workspace_id", "day")
    return wanted & set(rows)


def forget_runs_before(job: str, instant: datetime) -> int:
    """Drop the records of `job`'s runs made before `instant` (one DELETE); rows removed."""
    from alignment.models import ScheduledRun

    removed, _ = ScheduledRun.objects.filter(job=job, ran_at__lt=instant).delete()
    return removed


def run_once(*, workspace_id: int, job: str, day: date, work: Callable[[], T]) -> T | None:
    """Run `work` for (workspace, job, local day) unless it already ran; None when skipped.

    The record is written first, in the same transaction as the work: a second worker's
    insert waits on the unique constraint until the first commits, then skips; a run that
    raises rolls the record back with its writes, so the next tick tries again."""
    from alignment.models import ScheduledRun

    with transaction.atomic():
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(workspace_id=workspace_id, job=job, day=day)
        except IntegrityError:
            return None
        return work()
