"""The Celery app. Redis is the broker; without REDIS_URL, tasks run eagerly in-process."""

from __future__ import annotations

import os

from celery import Celery
from celery.contrib.django.task import DjangoTask

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
