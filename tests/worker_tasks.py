"""Jobs only the worker tests run, loaded into a real worker with `--include tests.worker_tasks`.

They leave marks in Redis (not the Django cache, whose keys carry a per-test prefix), so the
test process can see from outside which worker process started and finished a job.
"""

from __future__ import annotations

import os
import time

import redis
from celery import shared_task


@shared_task(name="tests.slow_mark")
def slow_mark(*, key: str, seconds: float) -> None:
    """Note the start, work for a while, note the end: each with this process's pid."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.rpush(f"{key}:started", os.getpid())
    client.expire(f"{key}:started", 300)
    time.sleep(seconds)
    client.rpush(f"{key}:done", os.getpid())
    client.expire(f"{key}:done", 300)


@shared_task(name="tests.database_session")
def database_session(*, key: str) -> None:
    """Note the PostgreSQL session (its backend pid) this job's queries ran in."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.rpush(key, pid)
    client.expire(key, 300)
