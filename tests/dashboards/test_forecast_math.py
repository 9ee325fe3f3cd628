"""The Monte Carlo forecast's math: properties that hold for every history, not one example."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards import forecast_math as mc

histories = st.lists(
    st.floats(min_value=0, max_value=8, allow_nan=False, allow_infinity=False),
    min_size=mc.MIN_HISTORY_DAYS,
    max_size=40,
)
remaining = st.floats(min_value=0.5, max_value=200, allow_nan=False)
days_left = st.integers(min_value=1, max_value=120)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def run(history, left, days, seed, runs=200):
    return mc.simulate(
        remaining=left, history=history, days_left=days, seed=seed, runs=runs, horizon=150
    )


@settings(max_examples=60, deadline=None)
@given(histories, st.data(), remaining, days_left, seeds)
def test_more_throughput_never_moves_the_date_later_nor_the_value_lower(
    history, data, left, days, seed
):
    extra = data.draw(
        st.lists(
            st.floats(min_value=0, max_value=5, allow_nan=False),
            min_size=len(history),
            max_size=len(history),
        )
    )
    faster = [a + b for a, b in zip(history, extra, strict=True)]
    slow, fast = run(history, left, days, seed), run(faster, left, days, seed)
    assert fast.probability >= slow.probability
    assert fast.p50_gain >= slow.p50_gain
    assert fast.p85_gain >= slow.p85_gain
    for slow_day, fast_day in ((slow.p50_days, fast.p50_days), (slow.p85_days, fast.p85_days)):
        if slow_day is not None:  # the slow one finishes within the horizon: so does the fast
            assert fast_day is not None
            assert fast_day <= slow_day


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), max_size=mc.MIN_HISTORY_DAYS - 1), days_left)
def test_without_enough_history_there_is_no_date_and_no_probability(history, days):
    outcome = run(history, 10.0, days, 1)
    assert outcome.status == mc.NOT_ENOUGH_HISTORY
    assert (outcome.p50_days, outcome.p85_days, outcome.probability) == (None, None, None)


@settings(max_examples=40, deadline=None)
@given(histories, remaining, days_left, seeds)
def test_the_p85_date_is_never_before_the_p50_date_and_values_are_ordered(
    history, left, days, seed
):
    outcome = run(history, left, days, seed)
    assert 0 <= outcome.probability <= 1
    assert outcome.p85_gain <= outcome.p50_gain
    if outcome.p85_days is not None:
        assert outcome.p50_days is not None
        assert outcome.p50_days <= outcome.p85_days
    for point in outcome.band:
        assert point.low <= point.mid <= point.high


def test_the_same_seed_gives_the_same_forecast_and_another_seed_may_not():
    history = [0, 1, 3, 0, 2, 5, 1, 0, 2, 4]
    first = run(history, 30, 20, seed=7)
    assert run(history, 30, 20, seed=7) == first
    assert any(run(history, 30, 20, seed=s) != first for s in range(8, 20))


def test_a_steady_pace_lands_exactly_where_the_line_says():
    outcome = run([2.0] * 10, 20.0, 15, seed=3)
    # 2 a day: done on the 10th day, in every run, and 30 gained by the 15th.
    assert (outcome.p50_days, outcome.p85_days, outcome.probability) == (10, 10, 1.0)
    assert outcome.p50_gain == outcome.p85_gain == 30.0


def test_zero_pace_never_finishes_and_says_so():
    outcome = run([0.0] * 14, 5.0, 30, seed=3)
    assert outcome.probability == 0.0
    assert (outcome.p50_days, outcome.p85_days) == (None, None)


def test_done_work_is_done_whatever_the_history():
    assert run([], 0.0, 10, seed=1).status == mc.DONE


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        ([(1, 0.0), (2, 0.1), (3, 0.3)], [0.1, 0.2]),
        ([(1, 0.0), (8, 0.7)], [0.1] * 7),  # a weekly check-in spread over its seven days
        ([(5, 0.4)], []),
    ],
)
def test_daily_increments_spread_gaps_over_their_days(observed, expected):
    assert mc.daily_increments(observed) == pytest.approx(expected)
