"""The backtest judges forecasts against what happened next, and its figure is reproducible."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bench import forecast as bench_forecast
from dashboards.forecast_backtest import Calibration, backtest_series

START = date(2025, 1, 6)


def steady(per_day: float, days: int) -> list[tuple[date, float]]:
    return [(START + timedelta(days=n), min(n * per_day, 1.0)) for n in range(days)]


def test_a_steady_pace_is_forecast_exactly_and_every_p85_holds():
    cases = backtest_series(
        ("key_result", 1), steady(0.01, 140), start=START, deadline=START + timedelta(days=90)
    )
    assert cases
    assert all(c.p85_value_held for c in cases)
    # 1% a day from 0: done on day 100, after the deadline: every forecast said "miss" and did.
    assert all(c.probability == 0.0 and not c.hit for c in cases)
    assert all(c.p85_date_held for c in cases if c.p85_date_held is not None)


def test_a_slowdown_the_history_could_not_see_breaks_the_promise():
    fast = steady(0.02, 30)
    stuck = [(START + timedelta(days=30 + n), fast[-1][1]) for n in range(1, 80)]
    cases = backtest_series(
        ("key_result", 2), fast + stuck, start=START, deadline=START + timedelta(days=60)
    )
    first = cases[0]  # made on day 7, when the pace said "done by day 50"
    assert first.probability == 1.0
    assert not first.hit
    assert not first.p85_value_held
    assert first.p85_date_held is False


def test_series_that_stop_before_their_deadline_are_not_judged():
    assert (
        backtest_series(
            ("key_result", 3), steady(0.01, 30), start=START, deadline=START + timedelta(days=60)
        )
        == []
    )


def test_the_recorded_calibration_figure_is_reproducible():
    first = bench_forecast.run(12).as_dict()
    assert bench_forecast.run(12).as_dict() == first
    assert first["cases"] > 50
    # Far from a coin toss, and the P85 value holds most of the time on these histories.
    assert first["brier"] < 0.25
    assert 0.6 <= first["p85_value_held"] <= 1.0


def test_an_empty_calibration_reports_nothing_rather_than_zero():
    assert Calibration().as_dict() == {
        "cases": 0,
        "p85_value_held": None,
        "p85_date_cases": 0,
        "p85_date_held": None,
        "brier": None,
    }


@pytest.mark.django_db
def test_the_workspace_backtest_reads_snapshots_of_ended_periods(plan, today):
    from dashboards.forecast_backtest import backtest_workspace
    from dashboards.models import Snapshot

    plan.period.start, plan.period.end = today - timedelta(days=100), today - timedelta(days=10)
    plan.period.save(update_fields=["start", "end"])
    Snapshot.objects.bulk_create(
        Snapshot(
            workspace=plan.world.workspace,
            kind="key_result",
            node_id=plan.manual.pk,
            day=plan.period.start + timedelta(days=n),
            progress=min(n * 0.008, 1),
        )
        for n in range(95)
    )
    result = backtest_workspace(plan.world.workspace.pk, today=today)
    assert result.count > 0
    assert result.p85_value_held == 1.0
