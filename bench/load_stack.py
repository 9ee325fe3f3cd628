"""bench-load's deployment (bench/load.py): gunicorn, Celery, PostgreSQL and Redis of one run,
started on loopback and stopped and dropped in reverse order."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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

    @staticmethod
    def postgres_cpu_seconds() -> float:
        """CPU time of PostgreSQL on this machine: its live processes, and the backends that
        exited (the postmaster's waited-for children). The load's requests spend part of
        their time there, planning and executing their queries."""
        tick = os.sysconf("SC_CLK_TCK")
        processes: dict[int, tuple[int, float, float]] = {}  # pid → (ppid, own, children's)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                text = stat.read_text()
                if not text[text.index("(") + 1 : text.rindex(")")].startswith("postgres"):
                    continue
                fields = text.rsplit(")", 1)[1].split()
                own = (int(fields[11]) + int(fields[12])) / tick
                reaped = (int(fields[13]) + int(fields[14])) / tick
                processes[int(stat.parent.name)] = (int(fields[1]), own, reaped)
        total = sum(own for _ppid, own, _reaped in processes.values())
        # The postmaster (its parent is not PostgreSQL) holds the exited backends' time.
        total += sum(r for ppid, _own, r in processes.values() if ppid not in processes)
        return total

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
