"""What a file is, read from its first bytes; the client's name and Content-Type are not trusted.

`filetype` (pure Python) knows binary formats by their magic numbers. Text formats have none,
so text is recognised by decoding, and SVG/HTML by their opening tags: they are stored with
their real type but always served as downloads (both can carry scripts).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

import filetype

HEAD_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
# Programs are refused outright: nobody needs to pass one around through a task.
EXECUTABLE_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/x-mach-binary",
        "application/x-elf",
        "application/x-sharedlib",
        "application/x-dosexec",
        "application/vnd.microsoft.portable-executable",
        "application/x-dex",
    }
)
EXECUTABLE_EXTENSIONS = frozenset({".exe", ".dll", ".com", ".scr", ".msi", ".bat", ".cmd"})
# A name that promises an image must hold that image.
IMAGE_EXTENSIONS = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_SVG = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype svg[^>]*>\s*)?<svg[\s>]", re.S
)
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype html|html|head|body|script)[\s>]", re.S)


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    refusal: str = ""  # why the file is refused, or "" when it may be stored


def sniff(head: bytes, name: str) -> Sniffed:
    """The content type of a file from its first bytes, and a refusal reason if any."""
    kind = filetype.guess(head)
    content_type = kind.mime if kind is not None else _text_type(head)
    extension = os.path.splitext(name)[1].lower()
    if content_type in EXECUTABLE_TYPES:
        return Sniffed(content_type, "programs cannot be attached.")
    if extension in EXECUTABLE_EXTENSIONS:
        return Sniffed(content_type, "programs cannot be attached (by the file's name).")
    promised = IMAGE_EXTENSIONS.get(extension)
    if promised is not None and content_type != promised:
        label = promised.split("/")[1].upper()
        return Sniffed(
            content_type,
            f"the name says {label} image, but the content is {content_type}; "
            "rename it or export it again.",
        )
    return Sniffed(content_type)


def _text_type(head: bytes) -> str:
    if b"\x00" in head:
        return OCTET_STREAM
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the head is still text.
        if exc.start < len(head) - 3:
            return OCTET_STREAM
    lowered = head[:2048].lower()
    if _SVG.match(lowered):
        return "image/svg+xml"
    if _HTML.match(lowered):
        return "text/html"
    return "text/plain"


def clean_name(raw: str) -> str:
    """A display name: the last path part, no control characters, at most 255 characters."""
    base = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not base:
        return "file"
    stem, ext = os.path.splitext(base)
    return base if len(base) <= 255 else stem[: 255 - len(ext)] + ext
