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
import http.client
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MIX = [
    ("board", 30),
    ("leader_dashboard", 15),
    ("task_list_api", 10),
    ("task_create", 20),
    ("task_move", 15),
    ("check_in", 10),
]
WRITES = {"task_create", "task_move", "check_in"}
REQUEST_TIMEOUT_S = 30.0
LOAD_MARK = "<!-- bench-load -->"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


class Stack:
    """The processes and stores one run starts, stopped and dropped in reverse order."""

    def __init__(self, app_dir: Path, python: str, db_url: str, redis_url: str, port: int):
        self.app_dir = app_dir
        self.python = python
        self.db_url = db_url
        self.redis_url = redis_url
        self.port = port
        self.processes: list[subprocess.Popen[bytes]] = []
        self.names: list[str] = []
        self.logs = Path(tempfile.mkdtemp(prefix="bench-load-"))
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "alignment.settings",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-load-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "CELERY_QUEUE": "bench-load",
            # Every client comes from 127.0.0.1: the per-address limit (1,200/min) would
            # turn the load into 429s. A deployment behind a proxy counts real addresses.
            "API_RATE_LIMIT_ADDRESS": "1000000/min",
            "API_RATE_LIMIT_TOKEN": "1000000/min",
            "PYTHONPATH": str(app_dir),
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def bin(self, name: str) -> str:
        return str(Path(self.python).parent / name)

    def run(self, *args: str, what: str) -> None:
        started = time.perf_counter()
        result = subprocess.run(
            args, cwd=self.app_dir, env=self.env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{what} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        print(f"  {what}: {time.perf_counter() - started:.1f} s", flush=True)

    def start(self, *args: str, name: str) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args,
            cwd=self.app_dir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )
        self.processes.append(process)
        self.names.append(name)

    def stop(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        self.names.clear()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each started process group."""
        tick = os.sysconf("SC_CLK_TCK")
        used: dict[str, float] = {}
        for name, process in zip(self.names, self.processes, strict=True):
            total = 0.0
            for stat in Path("/proc").glob("[0-9]*/stat"):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                    if int(fields[2]) == process.pid:  # process group id
                        total += (int(fields[11]) + int(fields[12])) / tick
            used[name] = total
        return used

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.processes)


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(
        ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        capture_output=True,
        text=True,
    )


def database_exists(admin_url: str, name: str) -> bool:
    result = subprocess.run(
        ["psql", admin_url, "-qAtc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() == "1"


def redis_flush(redis_url: str) -> None:
    """FLUSHDB on the run's own Redis database only (RESP over a plain socket)."""
    rest = redis_url.split("://", 1)[1]
    hostport, _, db = rest.partition("/")
    host, _, port = hostport.partition(":")
    with socket.create_connection((host, int(port or 6379)), timeout=5) as s:
        s.sendall(f"*2\r\n$6\r\nSELECT\r\n${len(db or '0')}\r\n{db or '0'}\r\n".encode())
        s.sendall(b"*1\r\n$7\r\nFLUSHDB\r\n")
        answer = b""
        while answer.count(b"\r\n") < 2:
            chunk = s.recv(1024)
            if not chunk:
                break
            answer += chunk
    if answer.count(b"+OK") < 2:
        raise RuntimeError(f"Redis did not flush {redis_url}: {answer!r}")


def wait_http(port: int, stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not stack.alive():
            raise RuntimeError(f"a server exited while starting; logs in {stack.logs}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on 127.0.0.1:{port}; logs in {stack.logs}")


class LoadClient(threading.Thread):
    """One closed-loop client: a member with a session (pages) and a token (API)."""

    def __init__(self, n: int, fixtures: dict[str, Any], port: int, run: Run) -> None:
        super().__init__(daemon=True)
        self.n = n
        self.rng = random.Random(1000 + n)
        self.me = fixtures["clients"][n]
        self.fixtures = fixtures
        self.port = port
        self.run_ = run
        self.created = 0
        self.checked = 0
        kinds, weights = zip(*MIX, strict=True)
        self.kinds, self.weights = list(kinds), list(weights)

    def request(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, api: bool
    ) -> tuple[int, bytes]:
        headers = {"Host": "127.0.0.1"}
        if api:
            headers["Authorization"] = f"Bearer {self.me['token']}"
        else:
            headers["Cookie"] = f"sessionid={self.me['session']}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def one(self, kind: str) -> tuple[int, bytes, dict[str, Any] | None]:
        """Send one request of `kind`; returns status, body and the write to acknowledge."""
        f, rng = self.fixtures, self.rng
        slug = f["slug"]
        api = f"/api/v1/workspaces/{slug}"
        team = rng.choice(f["teams"])
        if kind == "board":
            return (*self.request("GET", f"/w/{slug}/teams/{team['id']}/board/", api=False), None)
        if kind == "leader_dashboard":
            return (*self.request("GET", f"/w/{slug}/dashboards/", api=False), None)
        if kind == "task_list_api":
            return (*self.request("GET", f"{api}/tasks/?sprint={team['sprint']}", api=True), None)
        if kind == "task_create":
            self.created += 1
            title = f"load {self.n}-{self.created}"
            status, body = self.request(
                "POST",
                f"{api}/tasks/",
                body={
                    "team": team["id"],
                    "title": title,
                    "estimate": rng.choice([1, 2, 3, 5]),
                    "roadmap_item": rng.choice(f["items"]),
                },
                api=True,
            )
            ack = None
            if status == 201:
                ack = {"kind": kind, "id": json.loads(body)["id"], "title": title}
            return status, body, ack
        if kind == "task_move":
            task = rng.choice(self.me["move"])
            states = next(t["states"] for t in f["teams"] if t["id"] == task["team"])
            state = rng.choice(states)
            status, body = self.request(
                "POST",
                f"{api}/tasks/{task['key']}/move/",
                body={"state": state, "version": task["version"]},
                api=True,
            )
            ack = None
            if status == 200:
                task["version"] = json.loads(body)["version"]
                ack = {"kind": kind, "id": task["id"], "state": state, "version": task["version"]}
            return status, body, ack
        # check_in
        self.checked += 1
        value = f"{rng.randint(0, 100)}.{self.checked % 100:02d}"
        status, body = self.request(
            "POST",
            f"{api}/key-results/{self.me['key_result']}/check-ins/",
            body={"value": value, "confidence": rng.randint(1, 10)},
            api=True,
        )
        ack = None
        if status == 201:
            ack = {
                "kind": kind,
                "id": json.loads(body)["id"],
                "key_result": self.me["key_result"],
                "value": value,
            }
        return status, body, ack

    def run(self) -> None:
        run = self.run_
        while not run.stopping.is_set():
            kind = self.rng.choices(self.kinds, self.weights)[0]
            started = time.perf_counter()
            try:
                status, body, ack = self.one(kind)
                error = None if 200 <= status < 300 else f"{status} {body[:200]!r}"
            except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
                status, ack, error = 0, None, f"{type(exc).__name__}: {exc}"
            run.record(kind, started, time.perf_counter(), error, ack)


class Run:
    """Shared record of one load: latencies per kind inside the measured window, acks."""

    def __init__(self, measure_from: float, measure_until: float) -> None:
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.measure_from = measure_from
        self.measure_until = measure_until
        self.latencies: dict[str, list[float]] = {kind: [] for kind, _ in MIX}
        self.errors: dict[str, int] = {kind: 0 for kind, _ in MIX}
        self.error_samples: list[str] = []
        self.acks: dict[str, list[dict[str, Any]]] = {
            "created": [],
            "moved": [],
            "checked_in": [],
        }
        self.moved_last: dict[int, dict[str, Any]] = {}
        self.answered = 0  # every request, warm-up included (CPU is measured over both)

    def record(
        self, kind: str, started: float, ended: float, error: str | None, ack: dict[str, Any] | None
    ) -> None:
        with self.lock:
            self.answered += 1
            # Writes acknowledged at any time are verified; timings count inside the window.
            if ack is not None:
                if kind == "task_move":
                    self.moved_last[ack["id"]] = ack
                else:
                    self.acks["created" if kind == "task_create" else "checked_in"].append(ack)
            if self.measure_from <= started and ended <= self.measure_until:
                self.latencies[kind].append((ended - started) * 1000)
                if error:
                    self.errors[kind] += 1
            if error and len(self.error_samples) < 10:
                self.error_samples.append(f"{kind}: {error}")

    def acknowledged(self) -> dict[str, list[dict[str, Any]]]:
        return {**self.acks, "moved": list(self.moved_last.values())}


def drive(fixtures: dict[str, Any], port: int, clients: int, warmup: float, duration: float) -> Run:
    now = time.perf_counter()
    run = Run(now + warmup, now + warmup + duration)
    threads = [LoadClient(n, fixtures, port, run) for n in range(clients)]
    load_before = os.getloadavg()[0]
    for thread in threads:
        thread.start()
    time.sleep(warmup + duration)
    run.stopping.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT_S + 5)
    run.load_average = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # type: ignore[attr-defined]
    return run


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
                "WARNING",
                name="celery",
            )
            wait_http(port, stack)
            print(
                f"  load: {args.clients} clients, {args.warmup:.0f} s warm-up + "
                f"{args.duration:.0f} s measured …",
                flush=True,
            )
            cpu_before = stack.cpu_seconds()
            run = drive(fixtures, port, args.clients, args.warmup, args.duration)
            cpu_after = stack.cpu_seconds()
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
    lines += ["", "| run | " + " | ".join(kinds) + " | CPU ms a request (gunicorn / worker) |"]
    lines.append("|---|" + "---|" * (len(kinds) + 1))
    for s in load["runs"]:
        server = s.get("server_ms_p50", {})
        cpu = s.get("cpu_ms_per_request", {})
        lines.append(
            f"| {s['label']} | "
            + " | ".join(str(server.get(k, "")) for k in kinds)
            + f" | {cpu.get('gunicorn', '–')} / {cpu.get('celery', '–')} |"
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
