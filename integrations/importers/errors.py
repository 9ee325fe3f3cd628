"""Refusals of the import pages."""

from __future__ import annotations

from alignment.errors import DomainError


class UploadInvalid(DomainError):
    status, code = 422, "upload_invalid"
    message = "The file cannot be imported."


class ImportHasErrors(DomainError):
    status, code = 409, "import_has_errors"
    message = "Fix the {count} rows with errors before importing."


class ImportNotDraft(DomainError):
    status, code = 409, "import_not_draft"
    message = "This import has already been started."


class ImportAlreadyDone(DomainError):
    status, code = 409, "import_already_done"
    message = "Every issue of this file was imported before: there is nothing to import."
