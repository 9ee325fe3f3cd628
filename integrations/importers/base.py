"""What every importer shares: the all-or-nothing run of a job, its live progress, its errors.

An importer supplies two functions: `preview(job)`, which checks the whole upload against the
workspace and writes nothing, and `write(actor, checked, tick)`, which creates everything
through the domain services and calls `tick(done)` as it goes. `execute` runs them: it checks
again (the workspace may have changed since the preview), writes inside one transaction, and
on any refusal rolls everything back and records why on the job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership, Role
from integrations.models import ImportJob, ImportStatus

Tick = Callable[[int], None]


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


def execute(
    job_id: int,
    *,
    preview: Callable[[ImportJob], Any],
    write: Callable[[Membership, Any, Tick], None],
) -> None:
    """Run a queued job once: everything is written in one transaction, or nothing is."""
    job = ImportJob.objects.select_related("workspace").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.DRAFT):
        return  # already run: running it twice must not import twice
    actor = _admin_actor(job)
    if actor is None:
        fail(job, [{"row": 0, "messages": ["The person who started this import is no admin."]}])
        return
    checked: Checked = preview(job)
    if not checked.is_valid:
        fail(job, checked.job_errors())
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, total=checked.total, done=0, errors=[]
    )

    def tick(done: int) -> None:
        # The rows are invisible to others until commit; the count is shown live from the cache.
        cache.set(progress_key(job.pk), done, timeout=3600)

    try:
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
