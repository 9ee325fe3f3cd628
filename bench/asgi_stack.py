"""One uvicorn process serving the ASGI app on a throwaway database, for the socket benches
(bench/live.py, bench/documents.py): set up, seeded, served, measured from outside, stopped.

The measuring process stays free of Django (its clocks must not share a GIL with the server);
whatever needs Django — seeding, reading back what was stored — runs in a short child process
(`AsgiStack.call`). The in-memory channel layer by default, Redis with BENCH_REDIS_URL.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-only-secret-key-0123456789abcdef-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    """A process's resident memory (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def layer() -> str:
    return "redis" if os.environ.get("BENCH_REDIS_URL") else "memory"


class AsgiStack:
    """The environment, database and server of one run; `port` and `pid` once `served()`."""

    def __init__(self, folder: str, module: str, settings: dict[str, str]) -> None:
        self.module = module  # whose functions `call` runs inside Django
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "alignment.settings",
            "SECRET_KEY": SECRET,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3"),
            **settings,
        }
        self.env.pop("REDIS_URL", None)
        if os.environ.get("BENCH_REDIS_URL"):
            self.env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
        self.port = 0
        self.pid = 0
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )

    def call(self, code: str) -> Any:
        """Evaluate `code` (with the bench module as `b`) inside Django; its JSON result."""
        done = subprocess.run(
            [sys.executable, "-c", f"import json, {self.module} as b; print(json.dumps({code}))"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    @contextmanager
    def served(self) -> Iterator[AsgiStack]:
        self.port = free_port()
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "alignment.asgi:application"),
                *("--host", "127.0.0.1", "--port", str(self.port)),
                *("--ws", "websockets-sansio", "--log-level", "warning", "--no-access-log"),
            ],
            cwd=ROOT,
            env=self.env,
        )
        self.pid = server.pid
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", self.port), 1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("uvicorn did not start") from None
                    time.sleep(0.2)
            yield self
        finally:
            server.terminate()
            server.wait(10)


@contextmanager
def stack(prefix: str, module: str, settings: dict[str, str]) -> Iterator[AsgiStack]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield AsgiStack(folder, module, settings)


def report(result: dict[str, Any], *, key: str, save: bool) -> None:
    """Print a run's result with the machine's facts; saved (full runs only) into
    bench/results.json under `key`, or `key`_redis, so both layers' runs sit side by side."""
    result["layer"] = layer()
    result["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=2))
    if save:
        path = HERE / "results.json"
        results = json.loads(path.read_text()) if path.exists() else {}
        results[key if result["layer"] == "memory" else f"{key}_redis"] = result
        path.write_text(json.dumps(results, indent=2) + "\n")
