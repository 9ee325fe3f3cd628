"""SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's document, as Okta and Entra send it.

We turn the resource into a plain document (`{"userName": …, "name": {…}, "emails": […]}`),
apply the operations to it here, and hand the result to the same code as PUT. So a PATCH can
never reach a state a PUT could not, and the rules live once.

What providers send, beyond the RFC's examples (fixtures in tests/scim/fixtures/):
- Entra writes `"op": "Replace"` / `"Add"` / `"Remove"`: op names are case-insensitive.
- Path-less operations carry an object of attributes, whose keys may themselves be paths
  (`{"name.givenName": "Ada", "active": false}`), and Okta's carry the resource's `id` too.
- Booleans can arrive as strings (`"value": "False"`): the resource parser accepts them.
- `members` removal either by path filter (`members[value eq "7"]`) or by value list.
Attributes we do not keep (title, addresses, the enterprise extension…) are accepted and
ignored, so that a provider's default attribute mapping does not fail every update.
"""

from __future__ import annotations

import re
from typing import Any

from scim.errors import InvalidPath, InvalidSyntax, InvalidValue, NoTarget
from scim.schemas import ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA

OPS = ("add", "replace", "remove")
_PATH = re.compile(
    r"(?P<attr>[A-Za-z$][\w$-]*)"
    r'(?:\[\s*(?P<fattr>[A-Za-z][\w-]*)\s+eq\s+(?P<fvalue>"(?:[^"\\]|\\.)*"|true|false)\s*\])?'
    r"(?:\.(?P<sub>[A-Za-z][\w$-]*))?",
    re.IGNORECASE,
)
IGNORED = object()


def _strip_schema(path: str) -> str | object:
    lowered = path.lower()
    if lowered.startswith(ENTERPRISE_USER_SCHEMA.lower()):
        return IGNORED
    for schema in (USER_SCHEMA, GROUP_SCHEMA):
        if lowered.startswith(schema.lower() + ":"):
            return path[len(schema) + 1 :]
    if lowered.startswith("urn:"):
        return IGNORED
    return path


def _key(document: dict[str, Any], name: str) -> str | None:
    """The document's own spelling of an attribute name (SCIM names are case-insensitive)."""
    for key in document:
        if key.lower() == name.lower():
            return key
    return None


def _filter_value(raw: str) -> Any:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


def _matches(item: Any, fattr: str, fvalue: Any) -> bool:
    if not isinstance(item, dict):
        return False
    key = _key(item, fattr)
    if key is None:
        return False
    value = item[key]
    if isinstance(value, str) and isinstance(fvalue, str):
        return value.lower() == fvalue.lower()
    return bool(value == fvalue)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _same_item(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict) and "value" in a and "value" in b:
        return str(a["value"]) == str(b["value"])
    return bool(a == b)


def _apply_path(document: dict[str, Any], op: str, path: str, value: Any) -> None:
    stripped = _strip_schema(path.strip())
    if stripped is IGNORED:
        return
    assert isinstance(stripped, str)
    match = _PATH.fullmatch(stripped)
    if match is None:
        raise InvalidPath(f"Cannot read the path {path!r}.")
    key = _key(document, match["attr"])
    if key is None:
        return  # an attribute we do not keep
    sub = match["sub"]
    if match["fattr"]:
        _apply_filtered(
            document, key, op, match["fattr"], _filter_value(match["fvalue"]), sub, value
        )
        return
    current = document[key]
    if sub is not None:
        _apply_sub(current, op, sub, value)
    elif isinstance(current, list):
        _apply_list(document, key, op, value)
    elif isinstance(current, dict):
        _apply_object(document, key, op, value)
    else:
        document[key] = None if op == "remove" else value


def _apply_sub(current: Any, op: str, sub: str, value: Any) -> None:
    """`attr.sub`: set or clear a sub-attribute we keep (others are ignored)."""
    if not isinstance(current, dict):
        return  # a sub-attribute of something that has none: nothing we keep
    sub_key = _key(current, sub)
    if sub_key is None:
        return
    current[sub_key] = None if op == "remove" else value


def _apply_list(document: dict[str, Any], key: str, op: str, value: Any) -> None:
    """A multi-valued attribute: remove all or the given items, add new ones, or replace."""
    current = document[key]
    if op == "remove":
        if value is None:
            document[key] = []
        else:
            gone = _as_list(value)
            document[key] = [i for i in current if not any(_same_item(i, g) for g in gone)]
    elif op == "add":
        for item in _as_list(value):
            if not any(_same_item(item, existing) for existing in current):
                current.append(item)
    else:
        document[key] = _as_list(value) if value is not None else []


def _apply_object(document: dict[str, Any], key: str, op: str, value: Any) -> None:
    """A complex attribute: removing clears every sub-attribute; add or replace merges."""
    current = document[key]
    if op == "remove":
        document[key] = dict.fromkeys(current)
    elif not isinstance(value, dict):
        raise InvalidValue(f"{key} takes an object.")
    else:
        for name, inner in value.items():
            inner_key = _key(current, name)
            if inner_key is not None:
                current[inner_key] = inner


def _apply_filtered(
    document: dict[str, Any],
    key: str,
    op: str,
    fattr: str,
    fvalue: Any,
    sub: str | None,
    value: Any,
) -> None:
    items = document[key]
    if not isinstance(items, list):
        raise InvalidPath(f"{key} is not multi-valued; it cannot be filtered.")
    chosen = [item for item in items if _matches(item, fattr, fvalue)]
    if op == "remove":
        if sub is None:
            document[key] = [item for item in items if item not in chosen]
        else:
            for item in chosen:
                item.pop(_key(item, sub) or sub, None)
        return
    if not chosen:
        # Entra replaces `emails[type eq "work"].value` on users that have no work e-mail yet:
        # the filter then names the item to create.
        item = {fattr: fvalue}
        items.append(item)
        chosen = [item]
    for item in chosen:
        if sub is None:
            if not isinstance(value, dict):
                raise InvalidValue(f"{key}[…] takes an object.")
            item.update(value)
        else:
            item[_key(item, sub) or sub] = value


def apply_patch(document: dict[str, Any], body: Any) -> dict[str, Any]:
    """The document after the PatchOp `body`'s operations, in order. The input is not changed."""
    if not isinstance(body, dict):
        raise InvalidSyntax("A PATCH body is a PatchOp object.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA not in schemas:
        raise InvalidSyntax(f"A PATCH body must list the schema {PATCH_SCHEMA}.")
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax("A PATCH body needs a non-empty Operations list.")
    result = _deep_copy(document)
    for operation in operations:
        if not isinstance(operation, dict):
            raise InvalidSyntax("Each operation is an object with op, path and value.")
        op = str(operation.get("op", "")).lower()
        if op not in OPS:
            raise InvalidSyntax(f"Unknown op {operation.get('op')!r}: use add, replace or remove.")
        path, value = operation.get("path"), operation.get("value")
        if path is not None and not isinstance(path, str):
            raise InvalidPath("path must be a string.")
        if path:
            if op != "remove" and "value" not in operation:
                raise InvalidSyntax(f"{op} needs a value.")
            _apply_path(result, op, path, value)
        elif op == "remove":
            raise NoTarget("remove needs a path.")
        elif not isinstance(value, dict):
            raise InvalidSyntax(f"{op} without a path needs an object of attributes as value.")
        else:
            for name, inner in value.items():
                _apply_path(result, op, name, inner)
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
