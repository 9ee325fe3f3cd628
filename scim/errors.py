"""SCIM errors (RFC 7644 §3.12): a status, an optional scimType and a detail for people."""

from __future__ import annotations

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    status = 400
    scim_type: str | None = None

    def __init__(self, detail: str, *, status: int | None = None, scim_type: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if scim_type is not None:
            self.scim_type = scim_type

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),  # a string, as RFC 7644 §3.12 shows it
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


class Unauthorized(ScimError):
    status = 401


class Forbidden(ScimError):
    status = 403


class ResourceNotFound(ScimError):
    status = 404


class Uniqueness(ScimError):
    status, scim_type = 409, "uniqueness"


class InvalidFilter(ScimError):
    status, scim_type = 400, "invalidFilter"


class InvalidSyntax(ScimError):
    status, scim_type = 400, "invalidSyntax"


class InvalidValue(ScimError):
    status, scim_type = 400, "invalidValue"


class InvalidPath(ScimError):
    status, scim_type = 400, "invalidPath"


class NoTarget(ScimError):
    status, scim_type = 400, "noTarget"
