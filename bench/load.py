"""A bounded mixed load against a whole deployment on this machine (`make bench-load`).

    python -m bench.load                          # this checkout, 40 clients, 60 s
    python -m bench.load --app-dir /tmp/old-main --label "main@a37e017" --no-write

It starts everything itself, on loopback only: a PostgreSQL database of its own (created,
migrated, seeded, dropped), a Redis database of its own (flushed before and after), gunicorn
with 2 sync workers on a free 127.0.0.1 port and one Celery worker (concurrency 1). Then
`--clients` closed-loop clients (each sends its next request when the last one answered) run
the issue's mix for `--duration` seconds after a warm-up:

    board page 30% · leader dashboard 15% · task list API 10%
    task create (API) 20% · task move (API) 15% · check-in (API) 10%

It reports requests per second, p50/p95/p99 per kind and errors (any non-2xx answer or failed
connection), waits for the worker to drain the rollup queue, and verifies that every
acknowledged write is present (created tasks, each moved task's last acknowledged state and
version, check-ins) and that the rollups kept incrementally equal a full recompute. Whatever it
started is stopped and dropped on the way out, also after a failure or Ctrl-C.

`--app-dir` runs the servers, the seed and the verification from another checkout (e.g. a
scratch `git worktree` of an older commit), so two versions are measured by one script.
Results go into bench/results.json (key "load") and bench/RESULTS.md (its load section).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.load_clients import LOAD_MARK, MIX, Run, drive
from bench.load_stack import Stack, database_exists, free_port, psql, redis_flush, wait_http

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


KIND_OF_PATH = [
    ("/board/", "board"),
    ("/dashboards/", "leader_dashboard"),
    ("/check-ins/", "check_in"),
    ("/move/", "task_move"),
]


def server_times(access_log: Path) -> dict[str, float]:
    """Median time gunicorn spent per kind (its access log), without the wait in the queue."""
    times: dict[str, list[float]] = {}
    with contextlib.suppress(OSError):
        for line in access_log.read_text().splitlines():
            parts = line.split()
            if len(parts) != 4 or not parts[3].isdigit():
                continue
            method, path, _status, ms = parts
            kind = next((k for marker, k in KIND_OF_PATH if marker in path), None)
            if kind is None and path.endswith("/tasks/"):
                kind = "task_create" if method == "POST" else "task_list_api"
            if kind:
                times.setdefault(kind, []).append(float(ms))
    return {kind: round(statistics.median(values), 1) for kind, values in times.items()}


def summarize(run: Run, duration: float) -> dict[str, Any]:
    every = [ms for values in run.latencies.values() for ms in values]
    kinds = {}
    for kind, values in run.latencies.items():
        kinds[kind] = {
            "requests": len(values),
            "errors": run.errors[kind],
            "p50_ms": round(percentile(values, 50), 1) if values else None,
            "p95_ms": round(percentile(values, 95), 1) if values else None,
            "p99_ms": round(percentile(values, 99), 1) if values else None,
        }
    return {
        "requests": len(every),
        "req_per_s": round(len(every) / duration, 1),
        "errors": sum(run.errors.values()),
        "p50_ms": round(statistics.median(every), 1) if every else None,
        "p95_ms": round(percentile(every, 95), 1) if every else None,
        "p99_ms": round(percentile(every, 99), 1) if every else None,
        "kinds": kinds,
        "error_samples": run.error_samples,
        "load_average": getattr(run, "load_average", None),
    }


@contextlib.contextmanager
def interrupts_as_exceptions() -> Iterator[None]:
    """SIGTERM (and SIGINT, as usual) unwind through the cleanup like an exception."""

    def raise_interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def git_describe(app_dir: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(app_dir), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    app_dir = Path(args.app_dir).resolve()
    admin_url = args.postgres.rstrip("/") + "/postgres"
    db_url = f"{args.postgres.rstrip('/')}/{args.db}"
    redis_url = f"{args.redis.rstrip('/')}/{args.redis_db}"
    port = free_port()
    stack = Stack(app_dir, args.python, db_url, redis_url, port)
    stack.env["BENCH_LOAD_SCALE"] = str(args.scale)
    stack.env["BENCH_LOAD_CLIENTS"] = str(args.clients)
    label = args.label or f"{app_dir.name}@{git_describe(app_dir)}"
    print(f"bench-load [{label}]: 127.0.0.1:{port}, database {args.db}, {redis_url}", flush=True)
    created_db = False
    try:
        with interrupts_as_exceptions():
            psql(admin_url, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
            redis_flush(redis_url)
            fixtures_path = stack.logs / "fixtures.json"
            # --reuse: a seeded copy per commit and shape, so repeated runs skip migrate + seed.
            shape = f"{git_describe(app_dir)}_{args.scale}_{args.clients}".replace(".", "")
            template = f"{args.db}_seeded_{shape}"
            cached = Path(tempfile.gettempdir()) / f"{template}.json"
            if args.reuse and cached.exists() and database_exists(admin_url, template):
                psql(admin_url, f'CREATE DATABASE "{args.db}" TEMPLATE "{template}"')
                created_db = True
                fixtures_path.write_text(cached.read_text())
                print(f"  database copied from {template}", flush=True)
            else:
                psql(admin_url, f'CREATE DATABASE "{args.db}"')
                created_db = True
                stack.run(args.python, "manage.py", "migrate", "--noinput", what="migrate")
                stack.run(
                    args.python, str(HERE / "load_app.py"), "seed", str(fixtures_path), what="seed"
                )
                if args.reuse:
                    psql(admin_url, f'DROP DATABASE IF EXISTS "{template}"')
                    psql(admin_url, f'CREATE DATABASE "{template}" TEMPLATE "{args.db}"')
                    cached.write_text(fixtures_path.read_text())
            stack.run(args.python, "manage.py", "collectstatic", "--noinput", what="collectstatic")
            fixtures = json.loads(fixtures_path.read_text())
            stack.start(
                stack.bin("gunicorn"),
                "alignment.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--access-logfile",
                str(stack.logs / "access.log"),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(M)s",
                name="gunicorn",
            )
            stack.start(
                stack.bin("celery"),
                "-A",
                "alignment",
                "worker",
                "--concurrency",
                "1",
                "--queues",
                "bench-load",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                os.environ.get("BENCH_LOAD_WORKER_LOG", "WARNING"),  # INFO: each job's time
                name="celery",
            )
            wait_http(port, stack)
            print(
                f"  load: {args.clients} clients, {args.warmup:.0f} s warm-up + "
                f"{args.duration:.0f} s measured …",
                flush=True,
            )
            cpu_before = {**stack.cpu_seconds(), "postgres": stack.postgres_cpu_seconds()}
            run = drive(fixtures, port, args.clients, args.warmup, args.duration)
            cpu_after = {**stack.cpu_seconds(), "postgres": stack.postgres_cpu_seconds()}
            if not stack.alive():
                raise RuntimeError(f"a server died during the load; logs in {stack.logs}")
            summary = summarize(run, args.duration)
            summary["server_ms_p50"] = server_times(stack.logs / "access.log")
            summary["cpu_s"] = {
                name: round(cpu_after.get(name, 0) - cpu_before.get(name, 0), 1)
                for name in cpu_after
            }
            # CPU per request moves less with a shared machine's load than wall times do.
            summary["cpu_ms_per_request"] = {
                name: round(seconds * 1000 / max(1, run.answered), 1)
                for name, seconds in summary["cpu_s"].items()
            }
            acks_path = stack.logs / "acks.json"
            acks_path.write_text(json.dumps(run.acknowledged()))
            verdict_path = stack.logs / "verdict.json"
            stack.run(
                args.python,
                str(HERE / "load_app.py"),
                "verify",
                str(fixtures_path),
                str(acks_path),
                str(verdict_path),
                what="verify",
            )
            summary["verified"] = json.loads(verdict_path.read_text())
            summary.update(
                label=label,
                commit=git_describe(app_dir),
                clients=args.clients,
                duration_s=args.duration,
                warmup_s=args.warmup,
                tasks=fixtures["tasks"],
                teams=len(fixtures["teams"]),
                objectives=fixtures["objectives"],
            )
            return summary
    finally:
        stack.stop()
        with contextlib.suppress(Exception):
            redis_flush(redis_url)
        if created_db and not args.keep_db:
            with contextlib.suppress(subprocess.CalledProcessError):
                psql(admin_url, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


def print_summary(s: dict[str, Any]) -> None:
    v = s["verified"]
    print(
        f"[{s['label']}] {s['req_per_s']} req/s, p50 {s['p50_ms']} / p95 {s['p95_ms']} / "
        f"p99 {s['p99_ms']} ms, {s['errors']} errors, load {s['load_average']}"
    )
    for kind, k in s["kinds"].items():
        print(
            f"  {kind:17} {k['requests']:6} req  p50 {k['p50_ms']}  p95 {k['p95_ms']}  "
            f"p99 {k['p99_ms']} ms  errors {k['errors']}"
        )
    print(
        f"  verified: {v['created']} created, {v['moved_tasks']} moved tasks, "
        f"{v['check_ins']} check-ins; missing or changed {v['missing_or_changed']}; rollups "
        f"drained {v['rollups_drained_after_s']} s after the load, "
        f"{v['rollup_rows_differing_from_full_recompute']} rows differ from a full recompute"
    )
    print(f"  server time p50 (ms, gunicorn's own): {s.get('server_ms_p50')}")
    print(
        f"  CPU seconds during the load: {s.get('cpu_s')}, "
        f"ms per request: {s.get('cpu_ms_per_request')}"
    )
    for line in s["error_samples"] + v["problems"]:
        print(f"  ! {line}")


def markdown(load: dict[str, Any]) -> str:
    lines = [
        LOAD_MARK,
        "## Mixed load (`make bench-load`)",
        "",
        f"Measured {load.get('run_at', '')}. {load.get('note', '')}".strip(),
        "",
        "| run | req/s | p50 / p95 / p99 ms | errors | writes verified | load avg |",
        "|---|---|---|---|---|---|",
    ]
    for s in load["runs"]:
        v = s["verified"]
        lines.append(
            f"| {s['label']} | {s['req_per_s']} | {s['p50_ms']} / {s['p95_ms']} / {s['p99_ms']} "
            f"| {s['errors']} | {v['created'] + v['moved_tasks'] + v['check_ins']} acknowledged, "
            f"{v['missing_or_changed']} missing | {s['load_average']} |"
        )
    lines += ["", "p95 per kind (ms):", ""]
    kinds = [kind for kind, _ in MIX]
    lines.append("| run | " + " | ".join(kinds) + " |")
    lines.append("|---|" + "---|" * len(kinds))
    for s in load["runs"]:
        lines.append(
            f"| {s['label']} | " + " | ".join(str(s["kinds"][k]["p95_ms"]) for k in kinds) + " |"
        )
    lines += [
        "",
        "Server time p50 per kind (ms, gunicorn's access log: without the wait in its queue):",
    ]
    cpu_title = "CPU ms a request (gunicorn / worker / PostgreSQL)"
    lines += ["", "| run | " + " | ".join(kinds) + f" | {cpu_title} |"]
    lines.append("|---|" + "---|" * (len(kinds) + 1))
    for s in load["runs"]:
        server = s.get("server_ms_p50", {})
        cpu = s.get("cpu_ms_per_request", {})
        lines.append(
            f"| {s['label']} | "
            + " | ".join(str(server.get(k, "")) for k in kinds)
            + f" | {cpu.get('gunicorn', '–')} / {cpu.get('celery', '–')}"
            + f" / {cpu.get('postgres', '–')} |"
        )
    lines += ["", *[f"- {note}" for note in load.get("notes", [])], LOAD_MARK, ""]
    return "\n".join(lines)


def write_results(runs: list[dict[str, Any]], notes: list[str]) -> None:
    """Merge into results.json (key "load") and the load section of RESULTS.md."""
    from datetime import UTC, datetime

    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results["load"] = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mix": dict(MIX),
        "runs": runs,
        "notes": notes,
    }
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    md_path = HERE / "RESULTS.md"
    text = md_path.read_text() if md_path.exists() else "# Benchmark results\n"
    section = markdown(results["load"])
    if LOAD_MARK in text:
        head, _, rest = text.partition(LOAD_MARK)
        _, _, tail = rest.partition(LOAD_MARK)
        text = head + section + tail.lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    md_path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-dir", default=str(REPO), help="checkout to run (default: this)")
    parser.add_argument("--label", default="", help="name of this run in the results")
    parser.add_argument("--clients", type=int, default=int(os.environ.get("CLIENTS", "40")))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", "60")))
    parser.add_argument("--warmup", type=float, default=float(os.environ.get("WARMUP", "10")))
    parser.add_argument("--scale", type=float, default=float(os.environ.get("LOAD_SCALE", "0.02")))
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--db", default=os.environ.get("BENCH_LOAD_DB", "bench_load"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379"))
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("BENCH_REDIS_DB", "15")))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a seeded copy of the database (per commit and shape) and start from it",
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--json", default="", help="also write this run's summary here")
    args = parser.parse_args()
    for host in (args.postgres, args.redis):
        if "127.0.0.1" not in host and "localhost" not in host:
            parser.error("bench-load runs on loopback only")
    try:
        summary = one_run(args)
    except KeyboardInterrupt:
        print("bench-load: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    print_summary(summary)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if not args.no_write:
        write_results([summary], [])
    ok = summary["errors"] == 0 and summary["verified"]["missing_or_changed"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
