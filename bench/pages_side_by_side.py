"""`BENCH_BASELINE`: the same requests to a checkout of main and to this code, side by side.

Both run under gunicorn (one sync worker each) on the benchmark's database; requests
alternate between them (the order flips every round), so the machine's load hits both alike.
The recorded peer ratios of peers.md (peer ÷ main) times main ÷ ours give ratios against the
peers.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.pages_data import API_PAGE, World, card_keys_and_more

HERE = Path(__file__).resolve().parent
SECRET = "bench-only-secret-key-0123456789abcdef-0123456789abcdef"
SERVER_ENV = {
    # DEBUG stays on for both (production needs collectstatic's manifest in each checkout):
    # its query log costs both sides alike. The key is shared so the bench's session works.
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    # Limits counted (one or four Redis round trips a request) but never reached.
    "API_RATE_LIMIT_TOKEN": "100000/min",
    "API_RATE_LIMIT_ADDRESS": "100000/min",
}


class Server:
    """One checkout of the app under gunicorn (one sync worker) on the benchmark's database."""

    def __init__(self, checkout: Path, port: int, database_url: str) -> None:
        self.checkout, self.port = checkout, port
        env = {
            **os.environ,
            **SERVER_ENV,
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(checkout),
        }
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "alignment.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--chdir",
                str(checkout),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(100):
            try:
                self.get("/healthz", {})
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn on {port} did not start ({checkout})")

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()  # keep-alive dropped: reconnect once
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
        return response.status, response.read()

    def stop(self) -> None:
        self.connection.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def interleaved(
    baseline: Server, ours: Server, fetch: Callable[[Server], Any], rounds: int
) -> dict[str, float]:
    """Medians of the same work on both servers, alternated request by request (the order
    flips every round), so machine load hits both alike: main ÷ ours is the speed-up."""
    for server in (baseline, ours, baseline, ours):
        fetch(server)  # warm
    times: dict[str, list[float]] = {"main": [], "ours": []}
    for n in range(rounds):
        order = [("main", baseline), ("ours", ours)]
        for name, server in order if n % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            fetch(server)
            times[name].append((time.perf_counter() - started) * 1000)
    main_ms, ours_ms = statistics.median(times["main"]), statistics.median(times["ours"])
    return {
        "main_ms": round(main_ms, 2),
        "ours_ms": round(ours_ms, 2),
        "speedup": round(main_ms / ours_ms, 2),
    }


def side_by_side(
    baseline: Path,
    world: World,
    sprint_teams: dict[str, Any],
    backlog_teams: dict[str, Any],
    cookie: str,
    rounds: int,
) -> dict[str, dict[str, dict[str, float]]]:
    """The same requests to main (`baseline`, a checkout) and to this code, interleaved."""
    from django.db import connection

    database_url = (
        os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    )
    servers = [
        Server(baseline, 18731, database_url),
        Server(HERE.parent, 18732, database_url),
    ]
    page = {"Cookie": cookie}
    api = {"Authorization": f"Bearer {world.token}"}
    slug = world.workspace.slug
    base = f"/api/v1/workspaces/{slug}"

    def get(path: str, headers: dict[str, str]) -> Callable[[Server], Any]:
        def fetch(server: Server) -> int:
            status, body = server.get(path, headers)
            assert status == 200, (server.port, path, status)
            return len(body)

        return fetch

    def board_whole(path: str) -> Callable[[Server], Any]:
        def fetch(server: Server) -> int:
            status, body = server.get(path, page)
            assert status == 200
            cards, pending = card_keys_and_more(body.decode())
            while pending:
                status, body = server.get(pending.pop(), {**page, "HX-Request": "true"})
                assert status == 200
                more_cards, more = card_keys_and_more(body.decode())
                cards, pending = cards + more_cards, pending + more
            return cards

        return fetch

    def api_all(path: str) -> Callable[[Server], Any]:
        def fetch(server: Server) -> int:
            items, next_path = 0, path
            while next_path:
                status, body = server.get(next_path, api)
                assert status == 200
                data = json.loads(body)
                items += len(data["results"])
                next_url = data.get("next")
                next_path = next_url.split(str(server.port), 1)[1] if next_url else ""
            return items

        return fetch

    work: dict[str, dict[str, Callable[[Server], Any]]] = {}
    for size, team in sprint_teams.items():
        board = f"/w/{slug}/teams/{team.pk}/board/"
        sprint = world.sprints[team.key]
        work.setdefault("board_first", {})[size] = get(board, page)
        work.setdefault("board_whole", {})[size] = board_whole(board)
        work.setdefault("task_api_sprint", {})[size] = api_all(
            f"{base}/tasks/?sprint={sprint.pk}&page_size={API_PAGE}"
        )
        work.setdefault("team_dashboard", {})[size] = get(
            f"/w/{slug}/dashboards/teams/{team.pk}/", page
        )
        work.setdefault("team_metrics_api", {})[size] = get(
            f"{base}/team-metrics/?team={team.pk}", api
        )
    for size, team in backlog_teams.items():
        work.setdefault("backlog_first", {})[size] = get(
            f"/w/{slug}/teams/{team.pk}/backlog/", page
        )
        work.setdefault("backlog_api_first", {})[size] = get(
            f"{base}/tasks/?team={team.pk}&backlog=true&ordering=rank", api
        )
    work["trivial_get"] = {"small": get(f"{base}/teams/", api)}
    out: dict[str, dict[str, dict[str, float]]] = {}
    try:
        for name, sizes in work.items():
            for size, fetch in sizes.items():
                print(f"  interleaved {name} [{size}] …", flush=True)
                out.setdefault(name, {})[size] = interleaved(servers[0], servers[1], fetch, rounds)
    finally:
        for server in servers:
            server.stop()
    return out


# Recorded ratios, peer median ÷ main's median (peers.md, lowest of each range), for the
# rows measured side by side: ours vs the peer = that × (main ÷ ours, measured interleaved).
RECORDED = {
    ("board_whole", "small"): {"Taiga": 0.75, "Plane (whole board)": 2.1},
    ("board_whole", "large"): {"Taiga": 0.37, "Plane (whole board)": 6.1},
    ("board_first", "small"): {"Plane (first load)": 0.93},
    ("board_first", "large"): {"Plane (first load)": 0.15},
    ("task_api_sprint", "small"): {"Taiga": 1.9, "Plane": 4.2},
    ("task_api_sprint", "large"): {"Taiga": 0.72, "Plane": 5.9},
    ("backlog_first", "small"): {"Taiga": 1.46, "Plane": 8.1},
    ("backlog_api_first", "small"): {"Taiga": 3.6, "Plane": 19.4},
    ("team_metrics_api", "small"): {"Taiga (burndown)": 3.1, "Plane (cycle)": 3.5},
    ("team_metrics_api", "large"): {"Taiga (burndown)": 7.1, "Plane (cycle)": 4.1},
    ("team_dashboard", "small"): {"Taiga (statistics)": 1.4},
    ("team_dashboard", "large"): {"Taiga (statistics)": 2.6},
    ("trivial_get", "small"): {"Taiga": 1.9, "Plane": 2.2},
}


def peer_ratios(measured: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        f"{name} [{size}]": {
            peer: round(ratio * measured[name][size]["speedup"], 1) for peer, ratio in peers.items()
        }
        for (name, size), peers in RECORDED.items()
        if size in measured.get(name, {})
    }
