"""Prepared statements on vs off, interleaved request by request (`alignment.prepared`).

    .venv/bin/python -m bench.prepared_ab          # ROUNDS=25 by default

On the 300-story sprint of bench.pages (1,200 tasks), each round requests every page below
once with DB_PREPARED_STATEMENTS on and once off, the order alternating round by round, in
one process on one database: the machine's speed and load cancel out of the ratio, which is
what a shared machine can report honestly (absolute times belong to bench.pages on a quiet
one). Writes `prepared_statements_ab` in results.json and its section of RESULTS.md.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.pages import api_pages, bench_database, whole_board
from bench.pages_data import API_PAGE, World
from bench.pages_report import save_section

SECTION = "## Prepared statements, on vs off"
STORIES = 300


def run(rounds: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    world = World()
    team = world.sprint_team(STORIES)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    page = Client()
    page.force_login(world.member.user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {world.token}")
    slug = world.workspace.slug
    board = f"/w/{slug}/teams/{team.pk}/board/"
    sprint = world.sprints[team.key].pk
    works: dict[str, Callable[[], Any]] = {
        "sprint board, whole (7 requests)": partial(whole_board, page, board),
        "sprint board, first response": partial(page.get, board),
        "task API, every page of the sprint": partial(
            api_pages, api, f"/api/v1/workspaces/{slug}/tasks/?sprint={sprint}&page_size={API_PAGE}"
        ),
        "team dashboard page": partial(page.get, f"/w/{slug}/dashboards/teams/{team.pk}/"),
        "authenticated trivial GET": partial(api.get, f"/api/v1/workspaces/{slug}/teams/"),
    }
    times: dict[tuple[str, bool], list[float]] = {}
    for round_number in range(rounds + 3):  # three warm-up rounds: connections, plans
        modes = (True, False) if round_number % 2 else (False, True)
        for mode in modes:
            settings.DB_PREPARED_STATEMENTS = mode
            for name, work in works.items():
                started = time.perf_counter()
                work()
                if round_number >= 3:
                    times.setdefault((name, mode), []).append(time.perf_counter() - started)
    settings.DB_PREPARED_STATEMENTS = True
    rows = {}
    for name in works:
        on = statistics.median(times[(name, True)]) * 1000
        off = statistics.median(times[(name, False)]) * 1000
        rows[name] = {
            "on_ms": round(on, 2),
            "off_ms": round(off, 2),
            "off_over_on": round(off / on, 2),
        }
    return {"stories": STORIES, "rounds": rounds, "results": rows}


def markdown(out: dict[str, Any]) -> str:
    lines = [
        f"{SECTION} (`python -m bench.prepared_ab`)",
        "",
        f"Run {out['run_at']}, load average {out['load_average']}. The {out['stories']}-story "
        f"sprint of bench.pages; medians of {out['rounds']} interleaved rounds in one process "
        "(read the ratio; the times are this machine's at that moment).",
        "",
        "| work | prepared ms | plain SQL ms | plain ÷ prepared |",
        "|---|---|---|---|",
    ]
    for name, row in out["results"].items():
        lines.append(f"| {name} | {row['on_ms']} | {row['off_ms']} | {row['off_over_on']}× |")
    return "\n".join(lines) + "\n"


def main() -> int:
    rounds = int(os.environ.get("ROUNDS", "25"))
    load = os.getloadavg()[0]
    with bench_database("prepared"):
        out = run(rounds)
    from django.utils import timezone

    out.update(
        run_at=timezone.now().isoformat(timespec="seconds"),
        load_average=[round(load, 2), round(os.getloadavg()[0], 2)],
    )
    text = markdown(out)
    save_section("prepared_statements_ab", out, SECTION, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
