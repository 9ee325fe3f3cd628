"""Backtest: replay each past week of a node's history and compare the forecast with what happened.

At every cut (one a week), the forecast sees only the history before the cut, exactly as
`dashboards.forecasting` would have on that day (same lookback, same minimum, same runs), and
is then checked against the rest of the series:

- **P85 value held**: at the deadline, the node stood at or above the forecast's P85 value;
- **P85 date held**: the node was done by the forecast's P85 date (a P85 date past the end of
  the known series, or "not within the horizon" for a node never done, cannot be judged and
  is left out);
- **Brier score** of the probability of reaching the target by the deadline (0 is perfect, 0.25
  is a coin toss).

A calibrated forecast holds its P85 about 85% of the time: much more means the band is too
wide (too timid), much less means it is overconfident.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from dashboards import forecast_math as mc
from dashboards.forecasting import LOOKBACK_DAYS, node_windows, seed_for
from dashboards.models import Snapshot
from dashboards.rollups.math import ITEM, KR, OBJECTIVE

STEP_DAYS = 7


@dataclass(frozen=True)
class Case:
    """One forecast made at `cut` and what became of it."""

    cut: date
    probability: float
    hit: bool  # the target was reached by the deadline
    p85_value_held: bool
    p85_date_held: bool | None  # None: cannot be judged with the series we have


@dataclass
class Calibration:
    cases: list[Case] = field(default_factory=list)

    def add(self, cases: Iterable[Case]) -> None:
        self.cases.extend(cases)

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def p85_value_held(self) -> float | None:
        return _share([c.p85_value_held for c in self.cases])

    @property
    def p85_date_held(self) -> float | None:
        return _share([c.p85_date_held for c in self.cases if c.p85_date_held is not None])

    @property
    def dated(self) -> int:
        return sum(1 for c in self.cases if c.p85_date_held is not None)

    @property
    def brier(self) -> float | None:
        if not self.cases:
            return None
        return sum((c.probability - float(c.hit)) ** 2 for c in self.cases) / len(self.cases)

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "cases": self.count,
            "p85_value_held": _round(self.p85_value_held),
            "p85_date_cases": self.dated,
            "p85_date_held": _round(self.p85_date_held),
            "brier": _round(self.brier),
        }


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def backtest_series(
    key: tuple[str, int],
    series: Sequence[tuple[date, float]],
    *,
    start: date,
    deadline: date,
    step_days: int = STEP_DAYS,
) -> list[Case]:
    """Forecasts at each weekly cut of a daily progress series (shares 0..1), judged.

    Only series that run to the deadline are judged (the outcome must be known)."""
    by_day = dict(series)
    if not series or max(by_day) < deadline:
        return []
    last_day = max(by_day)
    done_on = next((d for d, v in sorted(by_day.items()) if d >= start and v >= 1.0), None)
    final = by_day.get(deadline, 0.0)
    cases = []
    cut = start + timedelta(days=mc.MIN_HISTORY_DAYS)
    while cut < deadline:
        observed = [
            (d.toordinal(), v)
            for d, v in sorted(by_day.items())
            if max(start, cut - timedelta(days=LOOKBACK_DAYS)) <= d <= cut
        ]
        now = by_day.get(cut)
        if now is not None and now < 1.0 and (done_on is None or done_on > cut):
            days_left = (deadline - cut).days
            outcome = mc.simulate(
                remaining=1.0 - now,
                history=mc.daily_increments(observed),
                days_left=days_left,
                seed=seed_for(key, cut),
                horizon=max(2 * days_left, 60),
            )
            if outcome.status == mc.READY and outcome.p85_gain is not None:
                p85_date = (
                    None if outcome.p85_days is None else cut + timedelta(days=outcome.p85_days)
                )
                cases.append(
                    Case(
                        cut=cut,
                        probability=float(outcome.probability or 0.0),
                        hit=done_on is not None and done_on <= deadline,
                        p85_value_held=final + 1e-9 >= min(now + outcome.p85_gain, 1.0),
                        p85_date_held=_date_held(p85_date, done_on, last_day),
                    )
                )
        cut += timedelta(days=step_days)
    return cases


def _date_held(p85_date: date | None, done_on: date | None, last_day: date) -> bool | None:
    if p85_date is None:  # "not within the horizon": no date was promised
        return None
    if p85_date > last_day:
        return None if done_on is None else done_on <= p85_date
    return done_on is not None and done_on <= p85_date


def backtest_workspace(workspace_id: int, *, today: date) -> Calibration:
    """Every key result, objective and roadmap item whose deadline has passed, replayed."""
    series: dict[tuple[str, int], list[tuple[date, float]]] = defaultdict(list)
    for kind, node_id, day, progress in (
        Snapshot.objects.filter(workspace_id=workspace_id, kind__in=[KR, OBJECTIVE, ITEM])
        .order_by("kind", "node_id", "day")
        .values_list("kind", "node_id", "day", "progress")
    ):
        series[(kind, int(node_id))].append((day, float(progress)))
    windows = node_windows(workspace_id, list(series))
    calibration = Calibration()
    for key, points in series.items():
        window = windows.get(key)
        if window is None or window.deadline is None or window.deadline >= today:
            continue
        start = window.start or points[0][0]
        calibration.add(backtest_series(key, points, start=start, deadline=window.deadline))
    return calibration


__all__ = ["Calibration", "Case", "backtest_series", "backtest_workspace"]
