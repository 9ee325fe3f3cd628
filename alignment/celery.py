"""The Celery app. Redis is the broker; without REDIS_URL, tasks run eagerly in-process."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals
from celery.contrib.django.task import DjangoTask
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")


class AlignmentTask(DjangoTask):
    """Defaults for every task of ours: late ack, JSON args, retry transient faults with backoff.

    `delay_on_commit` (from DjangoTask) is the way to enqueue from a service, so a job never
    starts before the rows it reads are committed.
    """

    acks_late = True
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


app = Celery("alignment", task_cls=AlignmentTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _connections_as_around_a_request(task: Any = None, **_: Any) -> None:
    """Before and after each job, what Django does around a request: close a connection
    older than CONN_MAX_AGE or broken by an error, keep the others (health-checked before
    reuse). CELERY_DB_REUSE_MAX keeps Celery from closing every connection instead."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # in-process (eager): the caller's connection and transaction
    close_old_connections()


signals.task_prerun.connect(_connections_as_around_a_request, weak=False)
signals.task_postrun.connect(_connections_as_around_a_request, weak=False)
