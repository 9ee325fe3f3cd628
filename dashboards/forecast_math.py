"""Monte Carlo forecasts from a node's own history: pure math, no database.

A forecast answers two questions about work that is not finished: *when* will it be done
(P50 and P85 dates), and *where* will it stand at its deadline (P50 and P85 values, and the
probability of reaching the target). Each simulated run replays the future one day at a time,
each day an observed day of history drawn at random, by weights the run draws first (a
Bayesian bootstrap, see `_picks`): the runs carry the history's variance, its zero days and
its setbacks, and the uncertainty of a pace measured over a few weeks.

Every run draws the same day indices whatever the history's values (the indices come from the
seed and the history's length only). So a history that is at least as good day by day never
moves a date later or a value lower: more throughput can only help, exactly, not just on
average (the property tests hold the math to it).

Units are whatever the caller measures: progress shares (0..1) for OKR nodes and roadmap
items, points or tasks per day for a sprint's team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RUNS = 1000
MIN_HISTORY_DAYS = 7  # fewer observed days say nothing about variance: "not enough history"
MAX_HORIZON_DAYS = 365  # dates further out than a year are "not within a year"
BAND_POINTS = 12  # how many days of the band a chart gets between today and the deadline

# A forecast's status.
READY = "ready"
NOT_ENOUGH_HISTORY = "not_enough_history"
DONE = "done"


@dataclass(frozen=True)
class BandPoint:
    """On `day` (days from today), the amount gained with 85%, 50% and 15% confidence."""

    day: int
    low: float  # 15th percentile of the gain: reached in 85% of the runs
    mid: float  # median
    high: float  # 85th percentile: reached in 15% of the runs

    @property
    def values(self) -> tuple[float, float, float]:
        return (self.low, self.mid, self.high)


@dataclass(frozen=True)
class Outcome:
    """What the runs say, in days from today and amounts gained from today."""

    status: str
    runs: int = 0
    history_days: int = 0
    probability: float | None = None  # share of runs that reach `remaining` by the deadline
    p50_days: int | None = None  # half the runs are done within this many days (None: later
    p85_days: int | None = None  # than the horizon); 85% of the runs within this many
    p50_gain: float | None = None  # gain by the deadline: median run
    p85_gain: float | None = None  # gain by the deadline reached by 85% of the runs
    band: tuple[BandPoint, ...] = ()


def simulate(
    *,
    remaining: float,
    history: Sequence[float],
    days_left: int | None,
    seed: int,
    runs: int = RUNS,
    horizon: int = MAX_HORIZON_DAYS,
) -> Outcome:
    """Simulate `runs` futures drawing from `history` (amounts per observed day).

    `remaining`: what is left to reach the target (<= 0: already done). `days_left`: days
    until the deadline counting today's work (None: no deadline, dates only). Days count from
    today: a run done with today's draw has 1 day.
    """
    if remaining <= 0:
        return Outcome(status=DONE, history_days=len(history), probability=1.0)
    if len(history) < MIN_HISTORY_DAYS:
        return Outcome(status=NOT_ENOUGH_HISTORY, history_days=len(history))
    deadline = None if days_left is None else max(int(days_left), 0)
    span = max(min(horizon, MAX_HORIZON_DAYS), deadline or 0, 1)
    picks = _picks(len(history), runs=runs, span=span, seed=seed)
    gains = np.cumsum(np.asarray(history, dtype=float)[picks], axis=1)
    reached = gains >= remaining
    finished = reached.any(axis=1)
    # The first day a run reaches the target (1-based); runs that never do sort last.
    finish_day = np.where(finished, reached.argmax(axis=1) + 1, span + 1)
    p50_days = _day_within(finish_day, 0.50, span)
    p85_days = _day_within(finish_day, 0.85, span)
    if deadline is None:
        return Outcome(
            status=READY,
            runs=runs,
            history_days=len(history),
            p50_days=p50_days,
            p85_days=p85_days,
        )
    at_deadline = gains[:, deadline - 1] if deadline > 0 else np.zeros(runs)
    return Outcome(
        status=READY,
        runs=runs,
        history_days=len(history),
        probability=float(np.mean(finish_day <= deadline)),
        p50_days=p50_days,
        p85_days=p85_days,
        p50_gain=float(np.quantile(at_deadline, 0.50, method="inverted_cdf")),
        p85_gain=float(np.quantile(at_deadline, 0.15, method="inverted_cdf")),
        band=_band(gains, deadline),
    )


def _picks(length: int, *, runs: int, span: int, seed: int) -> np.ndarray:
    """Which observed day each simulated day replays (runs x span indices).

    Each run first weighs the observed days afresh (a Bayesian bootstrap: Dirichlet weights),
    then draws its days by those weights. The history is a sample of the team's pace, not the
    pace itself: runs differ in their pace as well as in their luck, more so when the history
    is short. Plain day-by-day draws let the luck even out within weeks and held the P85 value
    only ~72% of the time in the backtest; these hold it ~85% (bench/forecast.py). The picks
    depend on the seed and the history's length only, never on its values."""
    rng = np.random.Generator(np.random.PCG64(seed))
    cdf = np.cumsum(rng.dirichlet(np.ones(length), size=runs), axis=1)
    draws = rng.random((runs, span))
    # One search for all runs: run r's cdf and draws shifted by r into (r, r + 1].
    shift = np.arange(runs)[:, None]
    found = np.searchsorted((cdf + shift).ravel(), (draws + shift).ravel(), side="right")
    picks = found.reshape(runs, span) - shift * length
    return np.clip(picks, 0, length - 1)


def _day_within(finish_day: np.ndarray, share: float, span: int) -> int | None:
    """The day by which `share` of the runs are done, or None when that is beyond the span."""
    day = int(np.quantile(finish_day, share, method="inverted_cdf"))
    return day if day <= span else None


def _band(gains: np.ndarray, deadline: int) -> tuple[BandPoint, ...]:
    if deadline <= 0:
        return ()
    step = max(1, -(-deadline // BAND_POINTS))
    days = sorted({*range(step, deadline + 1, step), deadline})
    return tuple(
        BandPoint(
            day=day,
            low=float(np.quantile(gains[:, day - 1], 0.15, method="inverted_cdf")),
            mid=float(np.quantile(gains[:, day - 1], 0.50, method="inverted_cdf")),
            high=float(np.quantile(gains[:, day - 1], 0.85, method="inverted_cdf")),
        )
        for day in days
    )


def daily_increments(values: Sequence[tuple[int, float]]) -> list[float]:
    """Per-day changes of a series observed on day numbers (ordinals), oldest first.

    A gap of n days between two observations spreads its change evenly over the n days, so a
    weekly check-in counts as seven days of pace, not one jump and six missing days.
    """
    increments: list[float] = []
    for (day_a, value_a), (day_b, value_b) in zip(values, values[1:], strict=False):
        gap = day_b - day_a
        if gap <= 0:
            continue
        increments.extend([(value_b - value_a) / gap] * gap)
    return increments


__all__ = [
    "DONE",
    "MIN_HISTORY_DAYS",
    "NOT_ENOUGH_HISTORY",
    "READY",
    "RUNS",
    "BandPoint",
    "Outcome",
    "daily_increments",
    "simulate",
]
