"""`make bench-live`: many sockets on one board; delivery latency and server memory (#18).

    .venv/bin/python -m bench.live                 # 200 sockets, 30 moves
    BENCH_LIVE=ci .venv/bin/python -m bench.live   # CI-sized: 20 sockets, 5 moves

Bounded and self-contained: a SQLite database in a temporary folder (or DATABASE_URL), the
ASGI app under one uvicorn process on a free loopback port, the in-memory channel layer (or
Redis with BENCH_REDIS_URL, as production runs). SOCKETS sockets (SOCKETS / 10 people, ten
tabs each) follow one board; one member's socket moves cards over the socket (`move` op), one
at a time; every socket must receive each move's `card` message. The latency of a delivery
is from sending the move to the card message arriving on that socket, so it includes the
write itself. Reports p50/p95/max over every (move, socket) pair, missed deliveries, and the
server's resident memory before the sockets, with them open, and after the moves; the
numbers are merged into bench/results.json under "live". Exits non-zero on a missed delivery.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

from bench.asgi_stack import report, rss_kib, stack

SIZES = {"full": {"sockets": 200, "moves": 30}, "ci": {"sockets": 20, "moves": 5}}


def seed(people: int) -> dict[str, Any]:
    """Run inside Django: a workspace, a board of 40 cards, `people` members with sessions."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from alignment.models import Membership, Role, Team, User, Workspace
    from tasks import services
    from tasks.models import Sprint, StateCategory, WorkflowState

    workspace = Workspace.objects.create(name="Bench Live", slug="bench-live")
    owner = User.objects.create_user(email="owner@bench.example", password="x" * 12)
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    team = Team.objects.create(workspace=workspace, name="Platform", key="PLT")
    owner_membership = Membership.objects.get(workspace=workspace, user=owner)
    states = list(WorkflowState.objects.filter(team=team).order_by("position"))
    todo = next(s for s in states if s.category == StateCategory.UNSTARTED)
    doing = next(s for s in states if s.category == StateCategory.STARTED)
    sprint = Sprint.objects.create(
        workspace=workspace,
        team=team,
        name="Sprint 1",
        status="active",
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + timedelta(days=13),
    )
    tasks = [
        services.task_create(
            actor=owner_membership, team=team, title=f"Card {i}", state=todo, sprint=sprint
        )
        for i in range(40)
    ]
    cookies = []
    for i in range(people):
        user = User.objects.create_user(email=f"p{i}@bench.example", password="x" * 12)
        Membership.objects.create(workspace=workspace, user=user, role=Role.MEMBER)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "alignment.auth_backends.EmailBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return {
        "slug": workspace.slug,
        "team": team.pk,
        "states": [todo.pk, doing.pk],
        "tasks": [{"key": t.key, "version": t.version} for t in tasks],
        "cookies": cookies,
    }


async def measure(port: int, data: dict[str, Any], sockets: int, moves: int, pid: int) -> dict:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/w/{data['slug']}/"
    topic = f"board:{data['team']}"
    origin = f"http://127.0.0.1:{port}"
    arrivals: dict[str, list[float]] = {}
    rss_before = rss_kib(pid)

    closed: list[str] = []
    presence_frames: list[int] = []  # presence frames all sockets received (was ~n² before)

    async def reader(ws: Any, ready: asyncio.Event) -> None:
        try:
            await _read(ws, ready)
        except Exception as exc:  # the socket closed under the bench: counted, reported
            closed.append(f"{type(exc).__name__}: {exc}"[:120])

    async def _read(ws: Any, ready: asyncio.Event) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "subscribed":
                ready.set()
            elif message.get("type") == "presence":
                presence_frames.append(1)
            elif message.get("type") == "card":
                arrivals.setdefault(f"{message['key']}@{message['version']}", []).append(
                    time.perf_counter()
                )

    connections, readers = [], []
    people = data["cookies"]
    for i in range(sockets):
        ws = await websockets.connect(
            url,
            additional_headers={"Cookie": people[i % len(people)]},
            origin=origin,  # type: ignore[arg-type]
            max_size=2**20,
            # One client process holds every socket: its own keepalive pings would measure
            # this process's scheduling, not the server.
            ping_interval=None,
        )
        ready = asyncio.Event()
        readers.append(asyncio.ensure_future(reader(ws, ready)))
        await ws.send(json.dumps({"op": "subscribe", "topic": topic}))
        await asyncio.wait_for(ready.wait(), 30)
        connections.append(ws)
    await asyncio.sleep(2)  # let the presence announcements settle
    rss_open = rss_kib(pid)
    mover = connections[0]
    latencies: list[float] = []
    missed = 0
    # One move first, not counted: the server's first write imports and warms what it needs.
    for n in range(-1, moves):
        task = data["tasks"][n % len(data["tasks"])]
        state = data["states"][1 if n < 0 else (n // len(data["tasks"]) + 1) % 2]
        sent = time.perf_counter()
        await mover.send(
            json.dumps(
                {
                    "op": "move",
                    "topic": topic,
                    "key": task["key"],
                    "version": task["version"],
                    "state": state,
                }
            )
        )
        task["version"] += 1
        wanted = f"{task['key']}@{task['version']}"
        deadline = sent + 10
        while len(arrivals.get(wanted, [])) < sockets and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        got = arrivals.get(wanted, [])
        if n >= 0:
            missed += sockets - len(got)
            latencies.extend(t - sent for t in got)
    rss_after = rss_kib(pid)
    for ws in connections:
        await ws.close()
    for task in readers:
        task.cancel()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return (
            round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)
            if ordered
            else 0.0
        )

    return {
        "sockets": sockets,
        "moves": moves,
        "deliveries": len(latencies),
        "missed": missed,
        "latency_ms": {
            "p50": pct(0.5),
            "p95": pct(0.95),
            "max": pct(1.0),
            "mean": round(1000 * statistics.fmean(ordered), 1) if ordered else 0.0,
        },
        "server_rss_mib": {
            "idle": round(rss_before / 1024, 1),
            "sockets_open": round(rss_open / 1024, 1),
            "after_moves": round(rss_after / 1024, 1),
        },
        "per_socket_kib": round((rss_open - rss_before) / max(sockets, 1), 1),
        "presence_frames": len(presence_frames),
        "closed_early": len(closed),
        "close_reasons": sorted(set(closed))[:5],
    }


def main() -> int:
    size = SIZES["ci" if os.environ.get("BENCH_LIVE") == "ci" else "full"]
    sockets = int(os.environ.get("SOCKETS", size["sockets"]))
    moves = int(os.environ.get("MOVES", size["moves"]))
    settings = {"LIVE_MAX_TOPICS": "4", "LIVE_CHANNEL_CAPACITY": str(max(200, 2 * sockets))}
    with stack("bench-live-", "bench.live", settings) as run:
        data = run.call(f"b.seed({max(1, sockets // 10)})")
        with run.served():
            result = asyncio.run(measure(run.port, data, sockets, moves, run.pid))
    report(result, key="live", save=os.environ.get("BENCH_LIVE") != "ci")
    return 1 if result["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
