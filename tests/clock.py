"""The suite's clock: every test runs at a pinned instant, never at the day it happens to run.

A bug that shows only on some weekdays (a week built as "today + 2 days") must fail on every
machine, every day. So:

- every test runs with the clock travelled to `DEFAULT_NOW` (it ticks from there, so code
  that measures durations still sees time pass);
- tests marked `calendar` (and every test that asks for a `today` fixture) also run at each
  instant of `CALENDAR_NOWS`: the edges where date arithmetic breaks — the last minutes of a
  Sunday and the first of a Monday in UTC (an ISO week boundary, and a different local day in
  UTC±12 zones), and the last minutes of a year (also a quarter's and an ISO week 53's end).

`ALIGNMENT_TEST_NOW` (an ISO 8601 instant) moves the default, e.g. to reproduce a report from
a given day: `ALIGNMENT_TEST_NOW=2026-12-06T22:00:00+00:00 make test`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

# A Wednesday in the middle of a quarter: far from every boundary below.
_DEFAULT = datetime(2026, 5, 13, 10, 30, tzinfo=UTC)


def _default_now() -> datetime:
    raw = os.environ.get("ALIGNMENT_TEST_NOW", "").strip()
    if not raw:
        return _DEFAULT
    value = datetime.fromisoformat(raw)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


DEFAULT_NOW = _default_now()

CALENDAR_NOWS: dict[str, datetime] = {
    "sunday-late": datetime(2026, 6, 14, 23, 40, tzinfo=UTC),
    "monday-early": datetime(2026, 6, 15, 0, 20, tzinfo=UTC),
    "year-end": datetime(2026, 12, 31, 23, 50, tzinfo=UTC),
}
