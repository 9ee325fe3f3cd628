"""Attachments made the way people make them: through the service, with real bytes."""

from __future__ import annotations

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from alignment.models import Membership
from attachments.models import Attachment
from attachments.services import attachments_add
from tasks.models import Task, TaskComment


def png_bytes(
    width: int = 2, height: int = 2, color: tuple[int, int, int] = (36, 86, 214)
) -> bytes:
    """A real PNG image (any decoder shows it), small enough to write inline."""
    raw = b"".join(b"\x00" + bytes(color) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# The start of a Windows program ("MZ" header with a PE signature), enough for sniffing.
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"\x80" + (b"\x00" * 200)
)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def attach(
    actor: Membership,
    task: Task,
    name: str = "diagram.png",
    content: bytes | None = None,
    comment: TaskComment | None = None,
) -> Attachment:
    """One attachment on `task`, uploaded by `actor` through attachments_add."""
    data = png_bytes() if content is None else content
    return attachments_add(actor=actor, task=task, files=[upload(name, data)], comment=comment)[0]
