"""Reading a SCIM document's fields: users' and groups' documents are read alike."""

from __future__ import annotations

from typing import Any

from scim.errors import InvalidValue


def text_field(value: Any, name: str, *, max_length: int = 255) -> str:
    """The string field `name` trimmed ("" when absent); refused when not a string or too long."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(f"{name} must be a string.")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidValue(f"{name} is longer than {max_length} characters.")
    return value
