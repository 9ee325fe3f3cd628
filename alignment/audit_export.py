"""Streaming the audit log out as CSV or JSON, for admins who keep their own records.

Rows are read with `.iterator()` in chunks and written as they come, so a log of a million
events never sits in memory (or in one response buffer). CSV cells go through `safe_cell`:
an object renamed "=HYPERLINK(...)" must not run as a formula in the admin's spreadsheet.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from alignment.csvsafe import safe_cell
from alignment.models import AuditEvent, Workspace

EXPORT_FORMATS = ("csv", "json")
CSV_COLUMNS = [
    "id",
    "created_at",
    "actor_id",
    "actor_email",
    "verb",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
]
CHUNK_SIZE = 2000


def audit_event_record(event: AuditEvent) -> dict[str, Any]:
    """One event as plain data: the same fields in the CSV columns and the JSON objects."""
    return {
        "id": event.pk,
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_email": event.actor.email if event.actor else None,
        "verb": event.verb,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
    }


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def _events(events: QuerySet[AuditEvent]) -> Iterator[AuditEvent]:
    return events.select_related("actor").order_by("-created_at", "-id").iterator(CHUNK_SIZE)


def audit_csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The header, then one formula-safe CSV line per event, newest first."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in _events(events):
        record = audit_event_record(event)
        for key in ("before", "after"):
            value = record[key]
            record[key] = "" if value is None else json.dumps(value, cls=DjangoJSONEncoder)
        yield writer.writerow([safe_cell(record[column]) for column in CSV_COLUMNS])


def audit_json_chunks(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """A JSON array of events, newest first, one event per chunk."""
    yield "["
    separator = "\n"
    for event in _events(events):
        yield separator + json.dumps(audit_event_record(event), cls=DjangoJSONEncoder)
        separator = ",\n"
    yield "\n]\n"


def audit_export_response(
    *, workspace: Workspace, events: QuerySet[AuditEvent], export_format: str
) -> StreamingHttpResponse:
    """A streamed download of `events` (already scoped and filtered) in `export_format`."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if export_format == "json":
        chunks, content_type = audit_json_chunks(events), "application/json"
    else:
        chunks, content_type = audit_csv_lines(events), "text/csv; charset=utf-8"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    filename = f"audit-{workspace.slug}-{stamp}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
