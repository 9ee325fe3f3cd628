"""bench-load's clients (bench/load.py): the issue's request mix, closed-loop clients on
threads, and the shared record of what they timed and what the server acknowledged."""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
from typing import Any

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
