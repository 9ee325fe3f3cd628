"""Forecast calibration: replay each past week of many histories and count how often P85 held.

    .venv/bin/python -m bench.forecast            # 400 synthetic key results, a quarter each
    BENCH_FORECAST=ci .venv/bin/python -m bench.forecast   # 60: the CI-sized run

No database: `dashboards.forecast_backtest.backtest_series` replays daily progress series the
way the forecasts see them. The histories are *not* drawn the way the forecast samples (that
would calibrate by construction): each key result has its own pace, weekends without work,
stalls of 3 to 10 days, a change of pace part-way (a team joins or leaves) and setbacks (scope
added, a metric slipping). Results go to bench/results.json ("forecast") and the
"Forecast calibration" section of bench/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import date, timedelta
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
django.setup()

from dashboards.forecast_backtest import Calibration, backtest_series  # noqa: E402

HERE = Path(__file__).resolve().parent
START = date(2025, 1, 6)  # a Monday: a quarter of 13 weeks
DAYS = 91


def history(rng: random.Random) -> list[tuple[date, float]]:
    """One key result's daily progress over a quarter, and the nine weeks after it (work goes
    on past a deadline, so a late P85 date can be judged too)."""
    pace = rng.uniform(0.5, 1.5) / (DAYS * 5 / 7)  # ends between 50% and 150% of the target
    change_on, factor = rng.randrange(20, 70), rng.uniform(0.5, 1.5)
    value, stall, series = 0.0, 0, []
    for offset in range(DAYS + 63):
        day = START + timedelta(days=offset)
        rate = pace * (factor if offset >= change_on else 1.0)
        if stall:
            stall -= 1
        elif rng.random() < 0.03:
            stall = rng.randrange(3, 11)
        elif day.weekday() < 5:
            value += rng.gammavariate(0.7, rate / 0.7)
        if rng.random() < 0.02:
            value -= rng.uniform(0, 0.04)
        value = min(max(value, 0.0), 1.0)
        series.append((day, round(value, 4)))
    return series


def run(count: int, seed: int = 2026) -> Calibration:
    rng = random.Random(seed)
    calibration = Calibration()
    deadline = START + timedelta(days=DAYS - 1)
    for node in range(count):
        calibration.add(
            backtest_series(("key_result", node + 1), history(rng), start=START, deadline=deadline)
        )
    return calibration


def record(result: dict) -> None:
    results = HERE / "results.json"
    data = json.loads(results.read_text()) if results.exists() else {}
    data["forecast"] = result
    results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    section = (
        "## Forecast calibration (`python -m bench.forecast`)\n\n"
        f"{result['histories']} synthetic key results over a 13-week quarter (own pace, "
        "weekends, stalls, a change of pace, setbacks), each forecast replayed every week with "
        "only the history before that week (`dashboards/forecast_backtest.py`).\n\n"
        "| measure | value | calibrated |\n|---|---|---|\n"
        f"| forecasts judged | {result['cases']} | |\n"
        f"| P85 value held at the deadline | {result['p85_value_held']:.1%} | ≈ 85% |\n"
        f"| P85 date held ({result['p85_date_cases']} judged) | "
        f"{result['p85_date_held']:.1%} | ≈ 85% |\n"
        f"| Brier score of the probability | {result['brier']:.3f} | 0 perfect, 0.25 coin toss |\n"
    )
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(r"## Forecast calibration.*?(?=\n## |\Z)", re.S)
    text = (
        pattern.sub(section.rstrip("\n") + "\n", text)
        if pattern.search(text)
        else (text.rstrip("\n") + "\n\n" + section)
    )
    path.write_text(text)


def main() -> None:
    count = 60 if os.environ.get("BENCH_FORECAST") == "ci" else 400
    result = {"histories": count, **run(count).as_dict()}
    print(json.dumps(result, indent=2))
    if os.environ.get("BENCH_FORECAST") != "ci":
        record(result)


if __name__ == "__main__":
    main()
