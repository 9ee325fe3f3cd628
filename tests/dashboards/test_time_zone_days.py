"""Sprint boundaries, burn charts, throughput and snapshots count the workspace's days.

At 13:30 UTC on Thursday 14 May 2026 it is already Friday 15 May, 01:30, in Auckland; at
05:30 UTC on Friday 15 May it is still Thursday 14 May, 22:30, in Los Angeles. A team in
either zone must see its own day on every surface, whatever the UTC date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from alignment import timezones
from dashboards import metrics, rollups, snapshots
from dashboards.models import Snapshot
from readmodel.selectors import rollup_for
from tasks import sprint_scope
from tasks.models import Sprint, SprintStatus
from tasks.models import StateCategory as C
from tests.conftest import World
from tests.factories.work import SprintFactory, TaskFactory, state_history, state_of

pytestmark = pytest.mark.django_db

AUCKLAND_FRIDAY = datetime(2026, 5, 14, 13, 30, tzinfo=UTC)  # Fri 15 May 01:30 NZST
LA_THURSDAY = datetime(2026, 5, 15, 5, 30, tzinfo=UTC)  # Thu 14 May 22:30 PDT
MONDAY, FRIDAY_NEXT_WEEK = date(2026, 5, 4), date(2026, 5, 15)


def zone(world: World, name: str) -> None:
    workspace = timezones.workspace_time_zone_set(actor=world.admin, name=name)
    world.workspace.settings = workspace.settings
    # Jobs read the zone by id from the cache, replaced on commit (never, in a test).
    from django.core.cache import cache

    cache.delete(timezones._cache_key(world.workspace.pk))


def active_sprint(world: World) -> Sprint:
    """Two weeks, Monday 4 May to Friday 15 May, started at 09:00 on its first local day."""
    started = timezones.at_local(world.workspace, MONDAY, datetime.min.time().replace(hour=9))
    return SprintFactory(
        team=world.team,
        start_date=MONDAY,
        end_date=FRIDAY_NEXT_WEEK,
        status=SprintStatus.ACTIVE,
        started_at=started,
    )


def done_task(world: World, sprint: Sprint, *, done_at: datetime) -> None:
    task = TaskFactory(
        team=world.team,
        sprint=sprint,
        estimate=Decimal("3"),
        state=state_of(world.team, C.DONE),
        state_category=C.DONE,
        completed_at=done_at,
    )
    state_history(
        task,
        (sprint.started_at - timedelta(hours=1), sprint.pk, "3", C.UNSTARTED),
        (done_at, sprint.pk, "3", C.DONE),
    )


def sprint_expected(world: World, sprint: Sprint) -> float:
    rollups.recompute_all(world.workspace)
    row = rollup_for(world.workspace.pk, "sprint", sprint.pk)
    assert row is not None
    return row.expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("UTC", 10 / 11), ("Pacific/Auckland", 1.0)],
    ids=["utc-thursday", "auckland-friday"],
)
def test_a_sprint_ending_friday_ends_at_friday_midnight_in_the_team_zone(
    world: World, name: str, expected: float
):
    zone(world, name)
    sprint = active_sprint(world)
    with time_machine.travel(AUCKLAND_FRIDAY, tick=False):
        assert sprint_expected(world, sprint) == pytest.approx(expected, abs=1e-4)


def test_in_los_angeles_the_sprint_still_has_its_friday_when_utc_is_on_friday(world: World):
    zone(world, "America/Los_Angeles")
    sprint = active_sprint(world)
    with time_machine.travel(LA_THURSDAY, tick=False):
        # Thursday there: ten of eleven days elapsed, while UTC already says Friday (1.0).
        assert sprint_expected(world, sprint) == pytest.approx(10 / 11, abs=1e-4)


@pytest.mark.parametrize(
    ("name", "last_day", "done_on"),
    [("UTC", "2026-05-14", "2026-05-14"), ("Pacific/Auckland", "2026-05-15", "2026-05-15")],
    ids=["utc", "auckland"],
)
def test_burndown_days_are_the_workspace_days(world: World, name: str, last_day, done_on):
    zone(world, name)
    sprint = active_sprint(world)
    done_task(world, sprint, done_at=AUCKLAND_FRIDAY - timedelta(minutes=10))
    histories = sprint_scope.touching(sprint_scope.sprint_histories([sprint]), sprint.pk)
    days = sprint_scope.burn_days(sprint, histories, as_of=AUCKLAND_FRIDAY)
    assert days[0]["day"] == "2026-05-04"
    assert days[-1]["day"] == last_day
    first_done = next(d["day"] for d in days if d["done"] == 3.0)
    assert first_done == done_on
    # The team metrics row and the dashboard read the same series.
    assert metrics.team_metrics(world.team, now=AUCKLAND_FRIDAY)["burn"]["days"] == days


def test_throughput_weeks_start_on_the_workspace_monday(world: World):
    zone(world, "Pacific/Auckland")
    sprint = active_sprint(world)
    sunday_late_utc = datetime(2026, 5, 10, 23, 40, tzinfo=UTC)  # Monday 11:40 in Auckland
    done_task(world, sprint, done_at=sunday_late_utc)
    weeks = metrics.team_metrics(world.team, now=AUCKLAND_FRIDAY)["throughput"]
    assert weeks[-1] == {"week": "2026-05-11", "count": 1}
    assert weeks[-2] == {"week": "2026-05-04", "count": 0}


def test_the_daily_snapshot_is_stored_under_the_workspace_date(world: World):
    zone(world, "Pacific/Auckland")
    active_sprint(world)
    with time_machine.travel(AUCKLAND_FRIDAY, tick=False):
        rollups.recompute_all(world.workspace)
        snapshots.take(world.workspace)
    assert set(
        Snapshot.objects.filter(workspace=world.workspace).values_list("day", flat=True)
    ) == {date(2026, 5, 15)}


def test_the_backfill_cuts_each_day_at_local_midnight(world: World):
    zone(world, "Pacific/Auckland")
    sprint = active_sprint(world)
    # Done at 23:50 UTC on 12 May: 11:50 on 13 May in Auckland.
    done_task(world, sprint, done_at=datetime(2026, 5, 12, 23, 50, tzinfo=UTC))
    snapshots.backfill(world.workspace, days=3, today=date(2026, 5, 15))
    done_by_day = dict(
        Snapshot.objects.filter(workspace=world.workspace, kind="sprint", node_id=sprint.pk)
        .order_by("day")
        .values_list("day", "done_points")
    )
    assert done_by_day == {
        date(2026, 5, 12): Decimal("0"),
        date(2026, 5, 13): Decimal("3"),
        date(2026, 5, 14): Decimal("3"),
    }
