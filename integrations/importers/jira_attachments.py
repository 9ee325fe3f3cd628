"""Jira attachments: copied into the attachment store when their bytes are in the upload.

Jira's exports (search JSON, CSV) name attachments only by file name and URL. The import never
downloads from those URLs (they point at a Jira the server may not reach, and would be an
outbound request to a host the user chose): the bytes come only from a zip uploaded instead
of the bare export, holding the export file and the attachments beside it, in either layout

    attachments/<ISSUE KEY or issue id>/<file name>                  (files saved by hand)
    …/<ISSUE KEY or issue id>/<attachment id>                        (Jira's backup folders)

An attachment found in the zip is stored on its task (attachments.services.attachments_add,
the same checks as an upload); one that is not, or that the store would refuse (too large, a
program, too many on the task), keeps its link in the task's description and is a warning in
the preview.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from attachments.sniffing import HEAD_BYTES, clean_name, sniff
from integrations.importers.errors import UploadInvalid
from integrations.importers.jira_model import JiraAttachment, JiraIssue
from integrations.models import ImportJob, ImportJobFile

if TYPE_CHECKING:
    from integrations.importers.jira_preview import IssuePreview, JiraPreview

EXPORT_SUFFIXES = (".json", ".csv")
MAX_ENTRIES = 10_000
DEFAULT_ZIP_MAX_BYTES = 100 * 1024 * 1024  # uncompressed, export and attachments together


@dataclass(frozen=True)
class PlannedAttachment:
    """A file of the upload's zip to store on the issue's task."""

    name: str
    file_id: int  # ImportJobFile
    size: int


@dataclass(frozen=True)
class ZipExport:
    export_name: str
    export: bytes
    files: list[tuple[str, bytes]]  # (path in the zip, bytes), the export left out


def zip_max_bytes() -> int:
    return int(getattr(settings, "IMPORT_ZIP_MAX_BYTES", DEFAULT_ZIP_MAX_BYTES))


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _ignored(path: str) -> bool:
    parts = path.split("/")
    return path.endswith("/") or parts[0] == "__MACOSX" or parts[-1].startswith(".")


def read_zip(data: bytes) -> ZipExport:
    """The export and the other files of an uploaded zip; refused with the reason."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not _ignored(i.filename)]
    except zipfile.BadZipFile as exc:
        raise UploadInvalid(f"The zip cannot be read: {exc}.") from exc
    if len(entries) > MAX_ENTRIES:
        raise UploadInvalid(f"The zip holds {len(entries)} files; at most {MAX_ENTRIES}.")
    limit = zip_max_bytes()
    if sum(i.file_size for i in entries) > limit:
        raise UploadInvalid(f"The zip unpacks to more than {filesizeformat(limit)}.")
    exports = [
        i
        for i in entries
        if i.filename.lower().endswith(EXPORT_SUFFIXES) and "/" not in i.filename.strip("/")
    ]
    if len(exports) != 1:
        raise UploadInvalid(
            "Put exactly one Jira export (.json or .csv) at the top of the zip, beside an "
            f"attachments folder; this zip has {len(exports)} at the top."
        )
    files, total = [], 0
    try:
        for info in entries:
            # Read at most what the header claims: a lying header cannot unpack a bomb.
            with archive.open(info) as handle:
                content = handle.read(info.file_size + 1)
            total += len(content)
            if len(content) > info.file_size or total > limit:
                raise UploadInvalid("The zip's files are larger than its index says.")
            if info is not exports[0]:
                files.append((info.filename, content))
            else:
                export = content
    except (zipfile.BadZipFile, RuntimeError, EOFError) as exc:  # RuntimeError: encrypted
        raise UploadInvalid(f"The zip cannot be read: {exc}.") from exc
    return ZipExport(exports[0].filename, export, files)


def store_files(job: ImportJob, files: list[tuple[str, bytes]]) -> None:
    """Keep the zip's other files with the job until it runs."""
    ImportJobFile.objects.bulk_create(
        ImportJobFile(
            workspace_id=job.workspace_id,
            job=job,
            path=path[:500],
            size=len(content),
            content=content,
        )
        for path, content in files
    )


def _match(
    attachment: JiraAttachment, issue: JiraIssue, paths: dict[str, tuple[int, int]]
) -> str | None:
    """The zip path holding this attachment's bytes, if any."""
    owners = {issue.key.casefold(), issue.issue_id.casefold()} - {""}
    wanted = {attachment.file_name.casefold(), attachment.attachment_id.casefold()} - {"", "?"}
    for path in paths:
        parts = [part.casefold() for part in path.split("/")]
        if len(parts) >= 2 and parts[-1] in wanted and owners & set(parts[:-1]):
            return path
    return None


def _refusal(name: str, size: int, head: bytes) -> str:
    if size == 0:
        return "it is empty"
    if size > settings.ATTACHMENTS_MAX_BYTES:
        return f"it is larger than {filesizeformat(settings.ATTACHMENTS_MAX_BYTES)}"
    return sniff(head, name).refusal


def plan(preview: JiraPreview, raw_issues: list[JiraIssue], job: ImportJob) -> None:
    """Which attachments are stored from the zip, which stay links (with a warning)."""
    rows = ImportJobFile.objects.for_workspace(job.workspace_id).filter(job=job)
    paths = {path: (pk, size) for pk, path, size in rows.values_list("pk", "path", "size")}
    used: set[str] = set()
    by_key = {i.key: i for i in preview.issues}
    for raw in raw_issues:
        issue = by_key[raw.key]
        if not raw.attachments or issue.is_skipped or issue.is_epic:
            continue
        linked: list[JiraAttachment] = []
        for attachment in raw.attachments:
            path = _match(attachment, raw, {p: v for p, v in paths.items() if p not in used})
            if path is None:
                linked.append(attachment)
                continue
            used.add(path)
            file_id, size = paths[path]
            name = clean_name(attachment.file_name if attachment.file_name != "?" else path)
            head = bytes(
                ImportJobFile.objects.filter(pk=file_id).values_list("content", flat=True)[0]
            )[:HEAD_BYTES]
            refusal = _refusal(name, size, head)
            if not refusal and len(issue.attachments) >= settings.ATTACHMENTS_MAX_PER_TASK:
                refusal = f"a task holds at most {settings.ATTACHMENTS_MAX_PER_TASK} files"
            if refusal:
                issue.notes.append(f"Attachment {name} is not stored ({refusal}): linked.")
                linked.append(attachment)
                continue
            issue.attachments.append(PlannedAttachment(name, file_id, size))
        if linked:
            _keep_links(preview, issue, raw, linked)


def _keep_links(
    preview: JiraPreview, issue: IssuePreview, raw: JiraIssue, linked: list[JiraAttachment]
) -> None:
    lines = [f"- [{a.file_name}]({a.url})" if a.url else f"- {a.file_name}" for a in linked]
    issue.description = "\n\n".join(
        part for part in (issue.description, "Attachments in Jira:\n" + "\n".join(lines)) if part
    )
    issue.notes.append(
        f"{len(linked)} attachment(s) are not in the upload, only linked: their links are kept "
        "in the description (upload a zip with the files to copy them; nothing is downloaded)."
    )
    preview.attachments += [(raw.key, a.file_name, a.url) for a in linked]
