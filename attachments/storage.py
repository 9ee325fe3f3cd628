"""The attachments storage (settings.STORAGES["attachments"]) and its keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.core.files.storage import Storage, storages


def attachment_storage() -> Storage:
    """Local disk or an S3-compatible bucket, as configured; read at call time (tests swap it)."""
    return storages["attachments"]


def new_key(workspace_id: int) -> str:
    """A random key under the workspace's folder: nothing of the user's file name reaches it."""
    return f"{workspace_id}/{uuid.uuid4().hex}"


def stored_keys() -> Iterator[str]:
    """Every key in the storage (`<workspace id>/<hex>`), for the orphan cleanup."""
    storage = attachment_storage()
    try:
        folders, _ = storage.listdir("")
    except FileNotFoundError:
        return
    for folder in folders:
        _, files = storage.listdir(folder)
        for name in files:
            yield f"{folder}/{name}"
