"""Pick the importer of a job by its kind; each has `preview(job)` and `run(job_id)`."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from integrations.importers import csv_tasks, jira, jira_csv, okr_csv
from integrations.models import ImportJob, ImportKind

IMPORTERS: dict[str, ModuleType] = {
    ImportKind.TASKS_CSV: csv_tasks,
    ImportKind.OKRS_CSV: okr_csv,
    ImportKind.JIRA: jira,
    ImportKind.JIRA_CSV: jira_csv,
}


def preview(job: ImportJob) -> Any:
    """The importer's preview (`.is_valid`, `.error_rows`, `.total`); nothing is written."""
    return IMPORTERS[job.kind].preview(job)


def run(import_id: int) -> None:
    kind = ImportJob.objects.filter(pk=import_id).values_list("kind", flat=True).first()
    if kind in IMPORTERS:
        IMPORTERS[kind].run(import_id)
