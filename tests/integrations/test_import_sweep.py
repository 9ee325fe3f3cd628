"""An import committed while the broker is down waits as "queued" and the beat sweep runs it."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError as BrokerDown

from integrations import tasks as integration_tasks
from integrations.models import ImportJob, ImportStatus
from tasks.models import Task
from tests.integrations.test_import_export import draft, job_url

pytestmark = pytest.mark.django_db


def test_commit_with_the_broker_down_keeps_the_job_queued_and_the_sweep_runs_it(
    world, admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    job = draft(world)
    before = Task.objects.count()

    def broker_down(*args, **kwargs):
        raise BrokerDown("Redis is unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(integration_tasks.import_run, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(job_url(world, "import_commit", job))
        assert response.status_code == 303  # the person is told it is queued, not a 500

    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert Task.objects.count() == before

    assert integration_tasks.imports_sweep() == 1  # Celery is eager in tests: it runs now

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    imported = Task.objects.count() - before
    assert imported == job.total > 0


def test_the_sweep_leaves_finished_and_draft_imports_alone(world):
    done = draft(world)
    ImportJob.objects.filter(pk=done.pk).update(status=ImportStatus.DONE)
    draft(world)
    assert integration_tasks.imports_sweep() == 0
