"""The SCIM filters identity providers send (RFC 7644 §3.4.2.2), as Django Q objects.

Okta and Entra ID ask only equality questions before creating: `userName eq "a@b.c"`,
`externalId eq "…"`, `displayName eq "…"`, `id eq "…"`, sometimes joined with `and`. That
subset is what we answer; anything else is 400 invalidFilter rather than a silently wider
list (which a provider would take as "this user exists").
"""

from __future__ import annotations

import re

from django.db.models import Q

from scim.errors import InvalidFilter
from scim.schemas import GROUP_SCHEMA, USER_SCHEMA

_COMPARISON = re.compile(
    r'\s*(?P<attr>[A-Za-z][\w.:$-]*)\s+(?P<op>eq)\s+(?P<value>"(?:[^"\\]|\\.)*"|true|false)\s*',
    re.IGNORECASE,
)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _unquote(raw: str) -> str | bool:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


def filter_q(text: str, fields: dict[str, str]) -> Q:
    """`attr eq "value" [and …]` as a Q; `fields` maps lower-case SCIM attributes to lookups.

    Lookups ending in `__iexact` compare case-insensitively (userName is caseExact=false).
    """
    if len(text) > 1000:
        raise InvalidFilter("The filter is too long.")
    query = Q()
    for part in _AND.split(text.strip()):
        match = _COMPARISON.fullmatch(part)
        if match is None:
            raise InvalidFilter(
                f'Unsupported filter {text!r}: use attribute eq "value", optionally joined '
                "with and."
            )
        attr = match["attr"].lower()
        for schema in (USER_SCHEMA, GROUP_SCHEMA):
            attr = attr.removeprefix(schema.lower() + ":")
        lookup = fields.get(attr)
        if lookup is None:
            supported = ", ".join(sorted(fields))
            raise InvalidFilter(f"Cannot filter on {match['attr']!r}; filter on: {supported}.")
        value = _unquote(match["value"])
        if lookup == "pk" and not (
            isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) < 19
        ):
            return Q(pk__in=[])  # an id we never issued matches nothing
        query &= Q(**{lookup: value})
    return query
