"""The archive format: a ZIP with `workspace.json` (the rows) and `files/` (attachments).

`workspace.json` is versioned (`format`, `version`) and records the migrations of the instance
that wrote it, so an import can refuse an archive from a newer Alignment with a clear message
instead of guessing at fields it does not know.
"""

from __future__ import annotations

import datetime
import json
import shutil
import zipfile
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import storages
from django.core.serializers.json import DjangoJSONEncoder

FORMAT = "alignment.workspace"
VERSION = 1
DOCUMENT = "workspace.json"
FILES = "files/"
# An archive is read whole into memory: refuse one that would not fit comfortably.
MAX_DOCUMENT_BYTES = 2 * 1024**3


class _LosslessEncoder(DjangoJSONEncoder):
    """Django's encoder, but instants and times keep their microseconds.

    DjangoJSONEncoder follows ECMA-262 and cuts them to milliseconds, so a row completed at
    .000123 would come back from an import at .000 — a copy that differs from its original.
    """

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class ArchiveError(Exception):
    """An archive that cannot be imported, with a message for the person importing it."""


def write(target: Path | IO[bytes], document: dict[str, Any]) -> None:
    """The document, and the bytes of every file it lists, streamed from their storage."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(DOCUMENT, json.dumps(document, cls=_LosslessEncoder, indent=1))
        archive.writestr(FILES, "")
        for entry in document.get("files") or []:
            try:
                source = storages[entry["storage"]].open(entry["key"], "rb")
            except FileNotFoundError:
                raise ArchiveError(
                    f"{entry['model']} {entry['id']}: its file {entry['key']} is missing from "
                    "storage; restore it (or delete that row), then export again."
                ) from None
            with source, archive.open(entry["path"], "w", force_zip64=True) as member:
                shutil.copyfileobj(source, member, 1024 * 1024)


def read(source: Path | IO[bytes]) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(source) as archive:
            try:
                info = archive.getinfo(DOCUMENT)
            except KeyError:
                raise ArchiveError(f"The archive has no {DOCUMENT}.") from None
            if info.file_size > MAX_DOCUMENT_BYTES:
                raise ArchiveError(f"{DOCUMENT} is larger than {MAX_DOCUMENT_BYTES} bytes.")
            raw = archive.read(info)
    except zipfile.BadZipFile:
        raise ArchiveError("Not a workspace archive (a ZIP file was expected).") from None
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise ArchiveError(f"{DOCUMENT} is not valid JSON: {exc}.") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ArchiveError(f"{DOCUMENT} is not an Alignment workspace export.")
    if document.get("version") != VERSION:
        raise ArchiveError(
            f"This is a version {document.get('version')!r} archive; this instance reads "
            f"version {VERSION}."
        )
    return document
