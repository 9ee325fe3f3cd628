"""Refusals of custom fields: each names the field at fault, so a person can fix it."""

from __future__ import annotations

from alignment.errors import DomainError


class CustomFieldValueInvalid(DomainError):
    """A value that does not fit its field (wrong type, unknown option, unknown field)."""

    status, code = 400, "invalid_custom_field"
    message = "“{field}”: {problem}"

    def __init__(self, *, field: str, problem: str) -> None:
        super().__init__(field=field, problem=problem)
        self.fields = {f"custom_fields.{field}": [problem]}


class CustomFieldDefinitionInvalid(DomainError):
    """A definition that breaks a rule (a taken name, a select without options)."""

    status, code = 400, "invalid_custom_field_definition"
    message = "{problem}"

    def __init__(self, *, field: str, problem: str) -> None:
        super().__init__(problem=problem, field=field)
        self.fields = {field: [problem]}
