"""Answering a download, after the caller's view has checked the workspace and role.

Images the browser can show (PNG, JPEG, GIF, WebP) are served inline with their sniffed type;
everything else, SVG and HTML included, is an `attachment` download typed
application/octet-stream. Every answer carries `nosniff` and a CSP `sandbox`, so even a file
opened directly in a tab runs no script and reaches nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from attachments.models import Attachment
from attachments.sniffing import OCTET_STREAM
from attachments.storage import attachment_storage

IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def served_type(attachment: Attachment) -> tuple[str, bool]:
    """(Content-Type, inline?) for an attachment."""
    if attachment.is_inline_image:
        return attachment.content_type, True
    return OCTET_STREAM, False


def download_response(attachment: Attachment) -> HttpResponseBase:
    """The file's bytes (or a short-lived presigned redirect) with the safe headers."""
    content_type, inline = served_type(attachment)
    disposition = content_disposition_header(not inline, attachment.name) or "attachment"
    storage: Any = attachment_storage()
    response: HttpResponseBase
    if settings.ATTACHMENTS_S3_REDIRECT and hasattr(storage, "bucket"):
        # Presigned after the permission check; the URL lives ATTACHMENTS_S3_URL_SECONDS.
        url = storage.url(
            attachment.storage_key,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
        )
        response = HttpResponseRedirect(url)
    else:
        response = FileResponse(
            storage.open(attachment.storage_key, "rb"), content_type=content_type
        )
        response["Content-Length"] = str(attachment.size)
        response["Content-Disposition"] = disposition
        response["ETag"] = f'"{attachment.sha256}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = IMAGE_CSP if inline else DOWNLOAD_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Private: a shared cache must never hand one member's file to someone else.
    response["Cache-Control"] = "private, max-age=300"
    return response
