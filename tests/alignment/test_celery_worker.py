"""Celery: a real worker on Redis runs our tasks; eager without Redis; jobs only after commit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from celery import shared_task
from celery.backends.redis import RedisBackend
from celery.result import AsyncResult
from django.core.cache import cache
from django.db import connection, transaction

from alignment.celery import app as celery_app
from alignment.tasks import ping
from tests.services import require_postgres, require_redis
from tests.worker_tasks import database_session, slow_mark

BASE_DIR = Path(__file__).resolve().parents[2]


@shared_task(name="tests.remember")
def remember(*, key: str) -> None:
    """Test-only job: leaves a mark in the cache, so a test can see that it ran."""
    cache.set(key, "ran")


def settings_in_fresh_process(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup(); from alignment.celery import app; "
        "print(app.conf.task_always_eager, app.conf.broker_url)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def local_env(**values: str) -> dict[str, str]:
    unset = {
        "REDIS_URL",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_RESULT_BACKEND",
        "DEBUG",
        "SECRET_KEY",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env["DJANGO_SETTINGS_MODULE"] = "alignment.settings"
    env.update(values)
    return env


def test_without_redis_url_tasks_run_eagerly_in_process():
    assert settings_in_fresh_process(local_env()) == "True memory://"


def test_with_redis_url_tasks_go_to_the_broker():
    output = settings_in_fresh_process(local_env(REDIS_URL="redis://redis.internal:6379/3"))

    assert output == "False redis://redis.internal:6379/3"


def start_worker(queue: str, redis_url: str, **env: str) -> subprocess.Popen[str]:
    """A `celery -A alignment worker` subprocess consuming `queue` on Redis."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "alignment",
        "worker",
        "--queues",
        queue,
        "--hostname",
        f"{queue}-{uuid.uuid4().hex[:6]}@%h",
        "--include",
        "tests.worker_tasks",
        "--pool",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=local_env(REDIS_URL=redis_url, CELERY_RESULT_BACKEND=redis_url, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture
def celery_worker_process():
    """A real worker consuming a queue of its own on Redis."""
    redis_url = require_redis()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    process = start_worker(queue, redis_url)
    try:
        yield queue, redis_url
    finally:
        stop(process)


def test_ping_round_trips_through_a_real_worker_on_redis(celery_worker_process):
    queue, redis_url = celery_worker_process
    backend = RedisBackend(app=celery_app, url=redis_url)
    token = uuid.uuid4().hex
    celery_app.conf.task_always_eager = False  # the autouse fixture restores it
    with celery_app.connection_for_write(redis_url) as connection:
        sent = ping.apply_async(args=[token], queue=queue, connection=connection)

    result = AsyncResult(sent.id, backend=backend, app=celery_app)
    try:
        # Eager tasks run earlier in this process leave Celery believing it is inside a
        # task, where a blocking get() is refused; this test process is the client.
        assert result.get(timeout=60, disable_sync_subtasks=False) == f"pong:{token}"
        assert result.state == "SUCCESS"
    finally:
        result.forget()


@pytest.mark.django_db
def test_a_job_queued_on_commit_runs_only_after_commit(django_capture_on_commit_callbacks):
    key = f"remember-{uuid.uuid4().hex}"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        remember.delay_on_commit(key=key)
        assert cache.get(key) is None

    assert len(callbacks) == 1
    assert cache.get(key) == "ran"


@pytest.mark.django_db
def test_a_job_queued_in_a_rolled_back_transaction_never_runs(django_capture_on_commit_callbacks):
    key = f"remember-{uuid.uuid4().hex}"

    def queue_then_fail() -> None:
        with transaction.atomic():
            remember.delay_on_commit(key=key)
            raise RuntimeError("roll back")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        queue_then_fail()

    assert callbacks == []
    assert cache.get(key) is None


def wait_for(predicate: Callable[[], bool], *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_a_task_of_a_worker_killed_outright_is_done_once_by_another():
    # SIGKILL of the whole worker: nothing acknowledges or rejects the task, so Redis hands it
    # to another worker once its visibility timeout passes (shortened here from the
    # production value, CELERY_TASK_TIME_LIMIT + 60 s).
    redis_url = require_redis()
    queue, key = f"test-{uuid.uuid4().hex[:12]}", f"test-kill-{uuid.uuid4().hex}"
    marks = redis.Redis.from_url(redis_url)
    short = {"CELERY_VISIBILITY_TIMEOUT": "3"}
    first = start_worker(queue, redis_url, **short)
    second = None
    try:
        celery_app.conf.task_always_eager = False  # the autouse fixture restores it
        with celery_app.connection_for_write(redis_url) as connection:
            slow_mark.apply_async(
                kwargs={"key": key, "seconds": 4}, queue=queue, connection=connection
            )
        assert wait_for(lambda: marks.llen(f"{key}:started") == 1, seconds=60)
        first.kill()
        first.wait(timeout=10)
        assert marks.llen(f"{key}:done") == 0  # killed mid-task

        second = start_worker(queue, redis_url, **short)

        assert wait_for(lambda: marks.llen(f"{key}:done") >= 1, seconds=120)
        time.sleep(1)  # a second delivery would start within this
        started = [int(pid) for pid in marks.lrange(f"{key}:started", 0, -1)]
        done = [int(pid) for pid in marks.lrange(f"{key}:done", 0, -1)]
        assert started == [first.pid, second.pid]
        assert done == [second.pid]
    finally:
        stop(first)
        if second is not None:
            stop(second)
        marks.delete(f"{key}:started", f"{key}:done")


@pytest.mark.django_db
def test_a_worker_keeps_its_database_session_between_jobs_and_replaces_a_dead_one():
    # Celery closed the connection around every job (a new PostgreSQL session, and every
    # prepared statement again, per job); it is now kept as between a web process's requests,
    # and health-checked before reuse.
    require_postgres()
    redis_url = require_redis()
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    database_url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    queue, key = f"test-{uuid.uuid4().hex[:12]}", f"test-session-{uuid.uuid4().hex}"
    marks = redis.Redis.from_url(redis_url)
    worker = start_worker(queue, redis_url, DATABASE_URL=database_url)
    celery_app.conf.task_always_eager = False  # the autouse fixture restores it

    def run_one() -> int:
        before = marks.llen(key)
        with celery_app.connection_for_write(redis_url) as broker:
            database_session.apply_async(kwargs={"key": key}, queue=queue, connection=broker)
        assert wait_for(lambda: marks.llen(key) == before + 1, seconds=60)
        return int(marks.lindex(key, -1))

    try:
        first, second = run_one(), run_one()
        assert first == second
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first])
        third = run_one()
        assert third != first
    finally:
        stop(worker)
        marks.delete(key)


def test_the_visibility_timeout_outlasts_the_longest_task(settings):
    # Shorter, and a slow task would be handed to a second worker while the first still runs.
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > settings.CELERY_TASK_TIME_LIMIT
    assert visibility <= 15 * 60  # a killed worker's task does not wait an hour
