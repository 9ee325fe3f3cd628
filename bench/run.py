"""Rollup and dashboard benchmarks on PostgreSQL (`make bench`).

    SCALE=0.05 .venv/bin/python -m bench.run

Builds a throw-away PostgreSQL test database (DATABASE_URL, default the local
postgres://postgres@127.0.0.1:5432/alignment, whose test_ database is created and dropped),
generates one workspace at 10,000 tasks, measures, grows it to SCALE × 1,000,000 tasks
(SCALE=1: 1M tasks, 100 teams, 10,000 roadmap items, 2,000 objectives) and measures again:

- full recompute of every rollup next to the one SQL aggregate over the same rows (the floor);
- the incremental refresh above one task (time and query count);
- the leader dashboard, a team dashboard and a sprint board (warm median time, query count).

Writes bench/results.json and bench/RESULTS.md. Targets (shared/ARCHITECTURE.md §10-11 and
the issue): query counts identical at both sizes, full recompute within 3× the floor,
incremental update under 50 ms in O(depth) queries, leader dashboard under 300 ms warm.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SMALL = 10_000
FULL = {"tasks": 1_000_000, "teams": 100, "items": 10_000, "objectives": 2_000}
TARGETS = {
    "recompute_ratio_max": 3.0,
    "incremental_ms_max": 50.0,
    "leader_ms_max": 300.0,
}
BATCH = 5_000


def timed(fn: Callable[[], Any], *, repeat: int = 3) -> tuple[float, Any]:
    """Median wall time in ms over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


class Generator:
    """Deterministic data of one workspace, grown in steps (bulk inserts, no events)."""

    def __init__(self, scale: float) -> None:
        from alignment.models import Membership, Role, Team, User, Workspace
        from okrs.models import Period
        from roadmaps.models import Roadmap
        from tasks.models import Sprint, StateCategory, WorkflowState

        self.rng = random.Random(42)
        self.scale = scale
        self.teams_wanted = max(4, round(FULL["teams"] * scale))
        self.workspace = Workspace.objects.create(name="Bench", slug="bench")
        self.user = User.objects.create_user(email="bench@example.com", password="x" * 12)
        Membership.objects.create(workspace=self.workspace, user=self.user, role=Role.OWNER)
        from django.utils import timezone

        self.today = timezone.localdate()
        self.period = Period.objects.create(
            workspace=self.workspace,
            name="This quarter",
            start=self.today - timedelta(days=45),
            end=self.today + timedelta(days=45),
        )
        self.roadmap = Roadmap.objects.create(workspace=self.workspace, name="Roadmap")
        self.teams = [
            Team.objects.create(workspace=self.workspace, name=f"Team {n}", key=f"T{n:03d}")
            for n in range(self.teams_wanted)
        ]
        self.states: dict[int, dict[str, Any]] = {}
        for state in WorkflowState.objects.filter(workspace=self.workspace).order_by("position"):
            self.states.setdefault(state.team_id, {}).setdefault(state.category, state)
        self.sprints: dict[int, dict[str, Any]] = {}
        for team in self.teams:
            made = {}
            for n, status in enumerate(["closed", "closed", "active", "planned"]):
                start = self.today - timedelta(days=35 - 14 * n)
                made[status if status != "closed" else f"closed{n}"] = Sprint.objects.create(
                    workspace=self.workspace,
                    team=team,
                    name=f"{team.key} S{n}",
                    start_date=start,
                    end_date=start + timedelta(days=13),
                    status=status,
                    started_at=timezone.now() - timedelta(days=35 - 14 * n)
                    if status != "planned"
                    else None,
                    closed_at=timezone.now() - timedelta(days=22 - 14 * n)
                    if status == "closed"
                    else None,
                )
            self.sprints[team.pk] = made
        self.categories = [
            (StateCategory.DONE, 40),
            (StateCategory.STARTED, 15),
            (StateCategory.UNSTARTED, 20),
            (StateCategory.BACKLOG, 20),
            (StateCategory.CANCELED, 5),
        ]
        self.items: list[Any] = []
        self.task_krs: list[Any] = []
        self.company_children: list[Any] = []
        self.numbers = dict.fromkeys((t.pk for t in self.teams), 0)
        self.tasks = 0

    def _objectives(self, count: int) -> None:
        from okrs.models import KeyResult, Objective

        for _ in range(count):
            company = not self.company_children or self.rng.random() < 0.1
            team = self.rng.choice(self.teams)
            parent_kr = None if company else self.rng.choice(self.company_children)
            objective = Objective.objects.create(
                workspace=self.workspace,
                period=self.period,
                title=f"Objective {self.rng.random():.6f}",
                level="company" if company else "team",
                team=None if company else team,
                parent_key_result=parent_kr,
                parent=parent_kr.objective if parent_kr else None,
            )
            krs = KeyResult.objects.bulk_create(
                [
                    KeyResult(
                        workspace=self.workspace,
                        objective=objective,
                        title=f"KR {n}",
                        source=source,
                        baseline=Decimal(0),
                        target=Decimal(100),
                        current=Decimal(self.rng.randint(0, 100)),
                        position=n,
                    )
                    for n, source in enumerate(
                        ["children" if company else "tasks", "tasks", "manual"]
                    )
                ]
            )
            if company:
                self.company_children.append(krs[0])
            self.task_krs.extend(kr for kr in krs if kr.source == "tasks")

    def _items(self, count: int) -> None:
        from roadmaps.models import KeyResultLink, RoadmapItem

        new = RoadmapItem.objects.bulk_create(
            [
                RoadmapItem(
                    workspace=self.workspace,
                    roadmap=self.roadmap,
                    title=f"Item {len(self.items) + n}",
                    owner_team=self.rng.choice(self.teams),
                    start_date=self.today - timedelta(days=self.rng.randint(20, 60)),
                    target_date=self.today + timedelta(days=self.rng.randint(-10, 60)),
                    status="in_progress",
                )
                for n in range(count)
            ],
            batch_size=BATCH,
        )
        links = []
        for item in new:
            for kr in self.rng.sample(self.task_krs, k=min(len(self.task_krs), 2)):
                if self.rng.random() < 0.7:
                    links.append(
                        KeyResultLink(
                            workspace=self.workspace,
                            item=item,
                            key_result=kr,
                            weight=Decimal(self.rng.randint(1, 3)),
                        )
                    )
        KeyResultLink.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        self.items.extend(new)

    def _tasks(self, count: int) -> None:
        from tasks.models import Task, TaskCounter

        categories, weights = zip(*self.categories, strict=True)
        rows = []
        for _ in range(count):
            team = self.rng.choice(self.teams)
            category = self.rng.choices(categories, weights)[0]
            sprints = self.sprints[team.pk]
            roll = self.rng.random()
            sprint = (
                sprints["active"]
                if roll < 0.03
                else sprints["closed0"]
                if roll < 0.05
                else sprints["closed1"]
                if roll < 0.07
                else None
            )
            self.numbers[team.pk] += 1
            rows.append(
                Task(
                    workspace=self.workspace,
                    team=team,
                    number=self.numbers[team.pk],
                    title=f"Task {self.tasks + len(rows)}",
                    state=self.states[team.pk][category],
                    state_category=category,
                    estimate=self.rng.choice(
                        [None, Decimal(1), Decimal(2), Decimal(3), Decimal(5), Decimal(8)]
                    ),
                    roadmap_item=self.rng.choice(self.items) if self.rng.random() < 0.8 else None,
                    sprint=sprint,
                    rank=f"i{self.numbers[team.pk]:08d}",
                )
            )
            if len(rows) >= BATCH:
                Task.objects.bulk_create(rows)
                self.tasks += len(rows)
                rows = []
        if rows:
            Task.objects.bulk_create(rows)
            self.tasks += len(rows)
        for team_id, number in self.numbers.items():
            TaskCounter.objects.filter(team_id=team_id).update(last_number=number)

    def grow_to(self, tasks: int) -> None:
        """Add objectives, items and tasks in proportion until the workspace has `tasks`."""
        share = tasks / FULL["tasks"]
        objectives = max(10, round(FULL["objectives"] * share))
        items = max(50, round(FULL["items"] * share))
        from okrs.models import Objective

        self._objectives(objectives - Objective.objects.filter(workspace=self.workspace).count())
        self._items(items - len(self.items))
        self._tasks(tasks - self.tasks)


def measure(gen: Generator, label: str) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dashboards import drift, metrics, rollup_passes, rollups
    from tasks.models import Task

    ws = gen.workspace
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"[{label}] {gen.tasks} tasks: full recompute …", flush=True)
    floor_ms, _ = timed(lambda: rollup_passes._work_rows(ws.pk, None))
    # The first pass after new data writes every changed row; repeats write nothing.
    first_ms, rows = timed(lambda: rollups.recompute_all(ws), repeat=1)
    recompute_ms, rows = timed(lambda: rollups.recompute_all(ws))
    metrics.refresh_team_metrics(ws)
    drift.refresh_findings(ws)

    print(f"[{label}] incremental …", flush=True)
    sample = list(
        Task.objects.filter(workspace=ws, roadmap_item__isnull=False, sprint__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:7]
    )
    incremental, counts = [], []
    for task_id in sample:
        Task.objects.filter(pk=task_id).update(estimate=Decimal(3))
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            rollups.refresh_ancestors_of_task(task_id)
            incremental.append((time.perf_counter() - started) * 1000)
        counts.append(len(captured))

    print(f"[{label}] pages …", flush=True)
    client = Client()
    client.force_login(gen.user)
    team = gen.teams[0]
    pages = {
        "leader_dashboard": f"/w/{ws.slug}/dashboards/",
        "team_dashboard": f"/w/{ws.slug}/dashboards/teams/{team.pk}/",
        "sprint_board": f"/w/{ws.slug}/teams/{team.pk}/board/",
    }
    page_results = {}
    for name, url in pages.items():
        for _ in range(2):  # warm: connection, session, caches
            assert client.get(url).status_code == 200, url
        executed: list[str] = []

        def count(
            execute: Any, sql: str, params: Any, many: bool, context: Any, log: list = executed
        ) -> Any:
            log.append(sql)
            return execute(sql, params, many, context)

        # An execute wrapper survives the reconnects between requests (a capture does not).
        with connection.execute_wrapper(count):
            client.get(url)
        ms, _ = timed(lambda url=url: client.get(url), repeat=7)
        page_results[name] = {"ms": round(ms, 1), "queries": len(executed)}
    return {
        "label": label,
        "tasks": gen.tasks,
        "teams": len(gen.teams),
        "roadmap_items": len(gen.items),
        "rollup_rows": rows,
        "full_recompute_first_ms": round(first_ms, 1),
        "full_recompute_ms": round(recompute_ms, 1),
        "sql_floor_ms": round(floor_ms, 1),
        "recompute_to_floor_ratio": round(recompute_ms / floor_ms, 2) if floor_ms else None,
        "incremental_ms_median": round(statistics.median(incremental), 2),
        "incremental_ms_max": round(max(incremental), 2),
        "incremental_queries": sorted(set(counts)),
        "pages": page_results,
    }


def checks(sizes: list[dict[str, Any]]) -> dict[str, bool]:
    small, large = sizes[0], sizes[-1]
    return {
        "page_queries_identical": all(
            small["pages"][p]["queries"] == large["pages"][p]["queries"] for p in small["pages"]
        ),
        "incremental_queries_identical": small["incremental_queries"]
        == large["incremental_queries"],
        "recompute_within_3x_floor": all(
            (s["recompute_to_floor_ratio"] or 0) <= TARGETS["recompute_ratio_max"] for s in sizes
        ),
        "incremental_under_50ms": all(
            s["incremental_ms_median"] < TARGETS["incremental_ms_max"] for s in sizes
        ),
        "leader_under_300ms": all(
            s["pages"]["leader_dashboard"]["ms"] < TARGETS["leader_ms_max"] for s in sizes
        ),
    }


def markdown(results: dict[str, Any]) -> str:
    sizes = results["sizes"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {results['run_at']} on {results['machine']['cpus']} CPUs, "
        f"{results['machine']['database']}; SCALE={results['scale']} "
        f"(SCALE=1 is 1,000,000 tasks). Generated by `python -m bench.run`; raw numbers in "
        "`results.json`. Times are medians of warm runs on this machine: compare runs on one "
        "machine, not across machines. Query counts are exact.",
        "",
        "| measure | " + " | ".join(f"{s['tasks']:,} tasks" for s in sizes) + " | target |",
        "|---|" + "---|" * len(sizes) + "---|",
    ]

    def row(name: str, values: list[str], target: str) -> None:
        lines.append(f"| {name} | " + " | ".join(values) + f" | {target} |")

    row(
        "full recompute after new data, writing its rows (ms)",
        [f"{s['full_recompute_first_ms']}" for s in sizes],
        "",
    )
    row("full recompute, repeat (ms)", [f"{s['full_recompute_ms']}" for s in sizes], "")
    row(
        "SQL floor: one aggregate over the same rows (ms)",
        [f"{s['sql_floor_ms']}" for s in sizes],
        "",
    )
    row("recompute (repeat) ÷ floor", [f"{s['recompute_to_floor_ratio']}×" for s in sizes], "≤ 3×")
    row(
        "incremental refresh above one task (ms, median)",
        [f"{s['incremental_ms_median']}" for s in sizes],
        "< 50 ms",
    )
    row(
        "incremental refresh queries",
        [", ".join(map(str, s["incremental_queries"])) for s in sizes],
        "same at both sizes",
    )
    for page in ("leader_dashboard", "team_dashboard", "sprint_board"):
        row(
            f"{page.replace('_', ' ')} (ms / queries)",
            [f"{s['pages'][page]['ms']} / {s['pages'][page]['queries']}" for s in sizes],
            "< 300 ms" if page == "leader_dashboard" else "flat queries",
        )
    lines += ["", "## Checks", ""]
    lines += [
        f"- {'✅' if ok else '❌'} {name.replace('_', ' ')}"
        for name, ok in results["checks"].items()
    ]
    lines += [
        "",
        "Rollup rows: "
        + ", ".join(f"{s['rollup_rows']:,} at {s['tasks']:,} tasks" for s in sizes)
        + ". The floor is `dashboards.rollup_passes._work_rows` over the whole workspace; the full "
        "recompute runs it once more and adds the item links, sprints, teams and the OKR tree, "
        "then upserts every row.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alignment")
    scale = float(os.environ.get("SCALE", "0.05"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from alignment.celery import app as celery_app

    if connection.vendor != "postgresql":
        print("bench.run needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    # A database of its own, so a test run on the same server is never clobbered.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = "bench_alignment"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            database = cursor.fetchone()[0].split(" on ")[0]
        gen = Generator(scale)
        sizes = []
        large = max(SMALL, round(FULL["tasks"] * scale))
        for total in dict.fromkeys([SMALL, large]):
            print(f"generating {total:,} tasks …", flush=True)
            gen.grow_to(total)
            sizes.append(measure(gen, f"{total:,}"))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    from django.utils import timezone

    results = {
        "run_at": timezone.now().isoformat(timespec="seconds"),
        "scale": scale,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "database": database,
        },
        "targets": TARGETS,
        "sizes": sizes,
    }
    results["checks"] = checks(sizes)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (HERE / "RESULTS.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
