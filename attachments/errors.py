"""Refusals of an upload: each names the file and says what to do, under the `files` field."""

from __future__ import annotations

from alignment.errors import DomainError


class UploadRefused(DomainError):
    """Base: the message is also the `files` field error, so forms and the API show it."""

    field = "files"

    def __init__(self, message: str | None = None, /, **details: object) -> None:
        super().__init__(message, **details)
        self.fields = {self.field: [self.text]}


class NoFiles(UploadRefused):
    status, code = 400, "no_files"
    message = "Choose a file to attach."


class TooManyFiles(UploadRefused):
    status, code = 400, "too_many_files"
    message = "Attach at most {limit} files at once (you sent {count})."


class TaskFull(UploadRefused):
    status, code = 409, "too_many_attachments"
    message = (
        "{task} already has {count} attachments; a task holds at most {limit}. Delete some first."
    )


class FileTooLarge(UploadRefused):
    status, code = 413, "file_too_large"
    message = "{name} is {size}; a file can be at most {limit}."


class UploadTooLarge(UploadRefused):
    status, code = 413, "upload_too_large"
    message = "The upload is {size}; at most {limit} can be sent at once."


class EmptyFile(UploadRefused):
    status, code = 422, "empty_file"
    message = "{name} is empty."


class FileTypeRefused(UploadRefused):
    status, code = 422, "file_type_refused"
    message = "{name}: {reason}"
