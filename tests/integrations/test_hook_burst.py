"""A burst of concurrent signed GitHub deliveries: every one processed once, never a 5xx.

SQLite: a real server process (`runserver`, threaded) on a temporary database *file*, in the
embedded setup (no Redis: Celery eager, so each request processes its delivery after commit).
An in-memory test database would share one connection between threads and prove nothing.
PostgreSQL: the live_server on the test database (skipped locally without it, required in CI).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from integrations.models import DeliveryStatus, ExternalLink, InboundDelivery
from integrations.signatures import github_signature
from tests.integrations.ci_helpers import payload
from tests.integrations.conftest import GITHUB_SECRET, free_port
from tests.services import require_postgres

REPO = Path(__file__).resolve().parents[2]
BURST = 12  # distinct deliveries, all sent at once
DUPLICATES = 3  # extra copies of delivery 0 in the same burst

SETUP = """
from integrations.models import Integration
from tests.factories.core import TeamFactory
team = TeamFactory(key="ENG", name="Engineering")
integration = Integration(workspace=team.workspace, provider="github", name="burst")
integration.set_secret({secret!r})
integration.save()
print("UUID", integration.uuid)
"""


def push_body(n: int) -> bytes:
    data = payload("github/push__force_1_commit-fork.json")
    data["forced"] = False
    data["ref"] = f"refs/heads/eng-{n + 1}-burst"
    commit = data["commits"][0]
    commit.update(id=f"{n:040x}", message=f"ENG-{n + 1} burst commit {n}")
    return json.dumps(data).encode()


def post(url: str, body: bytes, delivery: str) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": github_signature(GITHUB_SECRET, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def fire(url: str) -> list[int]:
    """All deliveries released together by a barrier; the answers' status codes."""
    jobs = [(push_body(n), f"burst-{n}") for n in range(BURST)]
    jobs += [(push_body(0), "burst-0")] * DUPLICATES
    barrier = threading.Barrier(len(jobs))

    def one(job: tuple[bytes, str]) -> int:
        barrier.wait()
        return post(url, *job)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(one, jobs))


def check_answers(codes: list[int]) -> None:
    assert all(code < 500 for code in codes), codes
    assert set(codes) <= {200, 202}, codes
    assert codes.count(202) >= BURST, codes


# --- SQLite file, a server process --------------------------------------------------------


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{db}", DEBUG="true", CELERY_TASK_ALWAYS_EAGER="true")
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db = tmp_path / "burst.sqlite3"
    env = _env(db)
    _manage(env, "migrate", "--noinput")
    out = _manage(env, "shell", "-c", SETUP.format(secret=GITHUB_SECRET))
    uuid = out.split("UUID", 1)[1].strip()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("The server process did not start.")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/hooks/github/{uuid}/", db
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_burst_on_a_sqlite_file_is_processed_once_without_5xx(sqlite_server):
    url, db = sqlite_server
    codes = fire(url)
    check_answers(codes)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT delivery_id, status, attempts, redeliveries FROM integrations_inbounddelivery"
        ).fetchall()
        links = conn.execute(
            "SELECT COUNT(*) FROM integrations_externallink WHERE kind = 'commit'"
        ).fetchone()[0]
    assert len(rows) == BURST
    assert {status for _, status, _, _ in rows} == {DeliveryStatus.PROCESSED}
    assert {attempts for _, _, attempts, _ in rows} == {1}
    assert sum(redeliveries for _, _, _, redeliveries in rows) == DUPLICATES
    assert links == BURST


# --- PostgreSQL, the live server ----------------------------------------------------------


@pytest.mark.postgres
def test_a_burst_on_postgresql_is_processed_once_without_5xx(
    live_server, transactional_db, settings
):
    require_postgres()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from integrations.models import Integration
    from tests.factories.core import TeamFactory

    team = TeamFactory(key="ENG", name="Engineering")
    integration = Integration(workspace=team.workspace, provider="github", name="burst")
    integration.set_secret(GITHUB_SECRET)
    integration.save()
    codes = fire(f"{live_server.url}/hooks/github/{integration.uuid}/")
    check_answers(codes)
    deliveries = InboundDelivery.objects.filter(integration=integration)
    assert deliveries.count() == BURST
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.PROCESSED}
    assert set(deliveries.values_list("attempts", flat=True)) == {1}
    assert sum(deliveries.values_list("redeliveries", flat=True)) == DUPLICATES
    assert ExternalLink.objects.filter(kind="commit").count() == BURST
