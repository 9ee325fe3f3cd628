"""An import job is claimed once: redelivered, crashed or raced, it imports exactly once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from integrations.importers import csv_tasks
from integrations.importers.base import execute, progress_key
from integrations.models import ImportJob, ImportStatus
from tasks.models import Task
from tests.integrations.test_import_export import draft, job_url
from tests.services import require_postgres


class WorkerLost(BaseException):
    """Stands in for a worker killed mid-write: no handler of ours catches it."""


def queued(world) -> ImportJob:
    job = draft(world)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED, total=2)
    return job


def test_a_second_run_of_the_same_job_imports_nothing_more(world):
    job = queued(world)
    csv_tasks.run(job.pk)
    csv_tasks.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Task.objects.filter(workspace=world.workspace).count() == 2


def test_a_worker_lost_mid_write_leaves_the_job_queued_for_the_redelivery(world):
    job = queued(world)

    def write_then_die(actor, checked, tick):
        csv_tasks.write(actor, checked, tick)  # every row written, not yet committed
        raise WorkerLost()

    with pytest.raises(WorkerLost):
        execute(job.pk, preview=csv_tasks.preview, write=write_then_die)
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED  # the claim rolled back with the rows
    assert Task.objects.filter(workspace=world.workspace).count() == 0

    csv_tasks.run(job.pk)  # the late-acked task, delivered again
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Task.objects.filter(workspace=world.workspace).count() == 2


def test_a_job_left_running_by_an_older_worker_is_taken_again_after_the_timeout(world, settings):
    settings.IMPORT_STALE_RUNNING_AFTER = timedelta(minutes=10)
    job = draft(world)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, created_at=timezone.now() - timedelta(minutes=9)
    )
    csv_tasks.run(job.pk)  # perhaps still running somewhere: left alone
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.RUNNING
    assert Task.objects.filter(workspace=world.workspace).count() == 0

    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    csv_tasks.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Task.objects.filter(workspace=world.workspace).count() == 2


def test_a_run_in_progress_shows_as_running_though_its_claim_is_not_committed(world, admin_client):
    job = queued(world)
    cache.set(progress_key(job.pk), 1, timeout=60)  # what tick() writes mid-run
    try:
        page = admin_client.get(job_url(world, "import_progress", job)).content.decode()
    finally:
        cache.delete(progress_key(job.pk))
    assert "Running" in page
    assert "1 of 2 rows" in page


def test_a_refused_row_still_records_the_failure_and_writes_nothing(world):
    job = queued(world)

    def refuse(actor, checked, tick):
        from integrations.importers.base import RowFailed

        csv_tasks.write(actor, checked, tick)
        raise RowFailed(2, "Refused.")

    execute(job.pk, preview=csv_tasks.preview, write=refuse)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"row": 2, "messages": ["Refused."]}]
    assert Task.objects.filter(workspace=world.workspace).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_job_at_once_import_it_once():
    require_postgres()
    from tests.conftest import build_world

    world = build_world("imports")  # its people are not acme's: rows without an assignee
    job = draft(world, b"Summary,Team\r\nWrite the importer,ENG\r\nDocument it,ENG\r\n")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    threads, errors = 2, []
    barrier = threading.Barrier(threads)

    def slow_write(actor, checked, tick):
        time.sleep(0.3)  # long enough for the other delivery to reach its claim meanwhile
        csv_tasks.write(actor, checked, tick)

    def deliver() -> None:
        try:
            barrier.wait()
            execute(job.pk, preview=csv_tasks.preview, write=slow_write)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=deliver) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    finished = ImportJob.objects.get(pk=job.pk)
    assert (finished.status, finished.errors) == (ImportStatus.DONE, [])
    assert Task.objects.filter(workspace=world.workspace).count() == 2
