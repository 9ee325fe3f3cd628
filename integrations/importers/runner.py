"""Pick the importer of a job by its kind."""

from __future__ import annotations

from typing import Any

from integrations.importers import csv_tasks, jira
from integrations.models import ImportJob, ImportKind


def preview(job: ImportJob) -> Any:
    """The importer's preview (`.is_valid`, `.error_rows`); nothing is written."""
    if job.kind == ImportKind.JIRA:
        return jira.preview(job)
    return csv_tasks.preview(job)


def run(import_id: int) -> None:
    kind = ImportJob.objects.filter(pk=import_id).values_list("kind", flat=True).first()
    if kind == ImportKind.JIRA:
        jira.run(import_id)
    elif kind is not None:
        csv_tasks.run(import_id)
