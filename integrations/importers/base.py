"""What every importer shares: the all-or-nothing run of a job, its live progress, its errors.

An importer supplies two functions: `preview(job)`, which checks the whole upload against the
workspace and writes nothing, and `write(actor, checked, tick)`, which creates everything
through the domain services and calls `tick(done)` as it goes. `execute` runs them: it checks
again (the workspace may have changed since the preview), writes inside one transaction, and
on any refusal rolls everything back and records why on the job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership, Role
from integrations.models import ImportJob, ImportStatus

Tick = Callable[[int], None]

# A RUNNING job older than this, left by a lost worker of the code before the claim, is retaken.
STALE_RUNNING_AFTER = timedelta(minutes=10)


class Checked(Protocol):
    """A preview: whether it may be written, how many rows it has, and its errors for the job."""

    @property
    def is_valid(self) -> bool: ...

    @property
    def total(self) -> int: ...

    def job_errors(self) -> list[dict[str, Any]]: ...


class RowFailed(Exception):
    """A service refused one row during the run; the whole run is rolled back."""

    def __init__(self, row: int | str, message: str) -> None:
        super().__init__(message)
        self.row, self.message = row, message


def progress_key(job_id: int) -> str:
    return f"integrations:import:{job_id}:done"


def error_text(error: DomainError) -> str:
    """A service's refusal as one line: its field messages, else its text."""
    if isinstance(error, FieldErrors) and error.fields:
        return "; ".join(m for messages in error.fields.values() for m in messages)
    return error.text


def fail(job: ImportJob, errors: list[dict[str, Any]]) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, errors=errors, done=0, finished_at=timezone.now()
    )


def _admin_actor(job: ImportJob) -> Membership | None:
    return (
        Membership.objects.for_workspace(job.workspace)
        .filter(user_id=job.created_by_id or 0, role__in=[Role.ADMIN, Role.OWNER])
        .select_related("user", "workspace")
        .first()
    )


def _claim(job_id: int) -> bool:
    """Take the job for this run, or learn that another run has it or had it.

    Why one transaction and no lease: the claim (QUEUED/DRAFT -> RUNNING), the writes and the
    final DONE/FAILED all commit together or not at all. A worker lost mid-write (the task is
    acked late and redelivered) rolls the claim back with the rows, so the redelivery finds the
    job QUEUED and imports it: nothing gets stuck. The conditional UPDATE locks the job's row
    until that transaction ends, so a second delivery running at the same time waits on the
    lock, then re-reads the row, finds it DONE or FAILED, claims 0 rows and returns: nothing is
    imported twice. A lease with a timeout could do neither: a redelivery inside the timeout
    would give up, and a run slower than the timeout would be run again beside itself.

    A committed RUNNING can only have been left by the code before this one (which claimed
    outside the write transaction); it is taken again once older than
    `IMPORT_STALE_RUNNING_AFTER` (no claim time was recorded then, so the upload time stands in).
    """
    stale_before = timezone.now() - getattr(
        settings, "IMPORT_STALE_RUNNING_AFTER", STALE_RUNNING_AFTER
    )
    claimable = Q(status__in=[ImportStatus.QUEUED, ImportStatus.DRAFT]) | Q(
        status=ImportStatus.RUNNING, created_at__lt=stale_before
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportStatus.RUNNING, done=0, errors=[]
    )
    return claimed == 1


def execute(
    job_id: int,
    *,
    preview: Callable[[ImportJob], Any],
    write: Callable[[Membership, Any, Tick], None],
) -> None:
    """Run a queued job once: everything is written in one transaction, or nothing is."""
    with transaction.atomic():
        if not _claim(job_id):
            return  # run (or being run) by another delivery: running it twice must not import twice
        job = ImportJob.objects.select_related("workspace").get(pk=job_id)
        actor = _admin_actor(job)
        if actor is None:
            fail(job, [{"row": 0, "messages": ["The person who started this import is no admin."]}])
            return
        # Checked again inside the claim: the workspace may have changed since the preview.
        checked: Checked = preview(job)
        if not checked.is_valid:
            fail(job, checked.job_errors())
            return
        ImportJob.objects.filter(pk=job.pk).update(total=checked.total)

        def tick(done: int) -> None:
            # The rows are invisible to others until commit; the count is shown live from the cache.
            cache.set(progress_key(job.pk), done, timeout=3600)

        try:
            # A savepoint: a refused row undoes the rows, and the job still commits as FAILED.
            with transaction.atomic():
                write(actor, checked, tick)
        except RowFailed as failed:
            fail(job, [{"row": failed.row, "messages": [failed.message]}])
            return
        finally:
            cache.delete(progress_key(job.pk))
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.DONE, done=checked.total, finished_at=timezone.now()
        )
