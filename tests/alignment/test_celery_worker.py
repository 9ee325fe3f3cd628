"""Celery: a real worker on Redis runs our tasks; eager without Redis; jobs only after commit."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import shared_task
from celery.backends.redis import RedisBackend
from celery.result import AsyncResult
from django.core.cache import cache
from django.db import transaction

from alignment.celery import app as celery_app
from alignment.tasks import ping
from tests.services import require_redis

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


@pytest.fixture
def celery_worker_process():
    """A `celery -A alignment worker` subprocess consuming a queue of its own on Redis."""
    redis_url = require_redis()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = local_env(REDIS_URL=redis_url, CELERY_RESULT_BACKEND=redis_url)
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
        f"{queue}@%h",
        "--pool",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue, redis_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


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
