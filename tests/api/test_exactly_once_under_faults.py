"""Exactly-once writes while the database keeps dropping connections (PostgreSQL, live server).

Eight clients create tasks and move them, each request with its own Idempotency-Key, against a
real threaded server while another thread terminates the server's database connections every
0.7 s. Clients retry an error or a dropped answer with the same key, as docs/api.md tells them.
In the end every task exists exactly once, in the state it was moved to, and no write that had
committed was answered as a failure (a retry that replays an answer after a 5xx would mean the
first attempt committed although it said it failed).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from django.db import connection, connections

from alignment.models import ApiToken
from tasks.models import Task, WorkflowState
from tests.conftest import build_world
from tests.factories import ApiTokenFactory
from tests.services import require_postgres

CLIENTS = 8
TASKS_PER_CLIENT = 4
KILL_EVERY = 0.7  # seconds
ATTEMPTS = 40
DEADLINE = 120.0  # seconds: the whole run stops by then, whatever happens


@dataclass
class Tally:
    answers: Counter[int] = field(default_factory=Counter)
    dropped: int = 0  # no answer at all (connection reset, timeout)
    committed_but_failed: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def send(http: httpx.Client, tally: Tally, url: str, body: dict[str, Any]) -> httpx.Response | None:
    """POST with one key until an answer that is not a server error; None when it gives up."""
    key = uuid.uuid4().hex
    failed_before = False
    for _ in range(ATTEMPTS):
        try:
            response = http.post(url, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            with tally.lock:
                tally.dropped += 1
            failed_before = True
            time.sleep(0.05)
            continue
        with tally.lock:
            tally.answers[response.status_code] += 1
        if response.status_code >= 500 or (
            response.status_code == 409
            and response.json()["error"]["code"] == "idempotency_in_progress"
        ):
            failed_before = True
            time.sleep(0.05)
            continue
        if failed_before and response.headers.get("Idempotent-Replayed") == "true":
            with tally.lock:  # an earlier attempt had committed, yet it was answered as failed
                tally.committed_but_failed.append(f"{url} {body}")
        return response
    with tally.lock:
        tally.gave_up.append(f"{url} {body}")
    return None


@pytest.mark.django_db(transaction=True)
def test_retried_writes_happen_exactly_once_while_connections_are_killed(live_server, settings):
    require_postgres()
    settings.EVENT_HANDLER_ERRORS = "log"  # as in production: a committed change is answered
    world = build_world("faults")
    raw = f"aln_{uuid.uuid4().hex}"
    ApiTokenFactory(raw=raw, workspace=world.workspace, user=world.member.user, scope="write")
    doing = WorkflowState.objects.filter(team=world.team, category="started").first()
    assert doing is not None
    base = f"{live_server.url}/api/v1/workspaces/{world.workspace.slug}/tasks/"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    tally = Tally()
    moved: dict[str, int] = {}
    running = threading.Event()
    running.set()
    kills = Counter[str]()

    def client(number: int) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {raw}"}, timeout=15) as http:
            for index in range(TASKS_PER_CLIENT):
                title = f"Fault task {number}-{index}"
                created = send(http, tally, base, {"team": world.team.pk, "title": title})
                if created is None or created.status_code != 201:
                    continue
                task = created.json()
                url = f"{base}{task['key']}/transition/"
                answer = send(http, tally, url, {"state": doing.pk, "version": task["version"]})
                if answer is not None and answer.status_code == 200:
                    with tally.lock:
                        moved[title] = answer.json()["version"]

    def killer() -> None:
        try:
            with connections["default"].cursor() as cursor:
                while running.is_set():
                    time.sleep(KILL_EVERY)
                    cursor.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s) "
                        "AND backend_type = 'client backend'",
                        [own_pid],
                    )
                    kills["rounds"] += 1
                    kills["connections"] += cursor.fetchone()[0]
        finally:
            connections["default"].close()

    workers = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    assassin = threading.Thread(target=killer)
    started = time.monotonic()
    assassin.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=max(1.0, DEADLINE - (time.monotonic() - started)))
    running.clear()
    assassin.join(timeout=10)

    titles = Counter(Task.objects.filter(workspace=world.workspace).values_list("title", flat=True))
    expected = {f"Fault task {n}-{i}" for n in range(CLIENTS) for i in range(TASKS_PER_CLIENT)}
    assert not any(worker.is_alive() for worker in workers), "clients did not finish in time"
    assert kills["rounds"] >= 3, f"no faults injected: {kills}"
    assert kills["connections"] >= 1, f"no connection was killed: {kills}"
    assert tally.gave_up == []
    assert {title for title, count in titles.items() if count > 1} == set(), "duplicates"
    assert set(titles) == expected
    assert set(moved) == expected
    states = dict(Task.objects.filter(workspace=world.workspace).values_list("title", "state_id"))
    assert {title for title in expected if states[title] != doing.pk} == set()
    assert tally.committed_but_failed == [], f"answers {dict(tally.answers)}, {kills}"
    assert ApiToken.objects.filter(workspace=world.workspace).count() == 1
