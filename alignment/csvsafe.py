"""CSV cells a spreadsheet will not run as formulas (CSV/formula injection, OWASP).

Every CSV we serve goes through `safe_cell`: text starting with = + - @ (or a tab or carriage
return, which some spreadsheets skip before looking for those) gets a leading `'`, which
spreadsheets read as "this is text". Plain numbers such as "-5" are no formula and stay
numbers. Our importers read our own exports back, so they call `unquote_cell` to take that one
quote off again: an objective titled "=1+2" survives an export → import round trip.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _runs_as_formula(text: str) -> bool:
    # A text already led by quotes before a formula character is quoted once more, so that
    # unquote_cell (which always takes one quote off there) gives it back unchanged.
    return text.lstrip("'").startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text)


def safe_cell(value: object) -> str:
    """A CSV cell's text; text a spreadsheet would run as a formula is led by a `'`."""
    text = "" if value is None else str(value)
    return f"'{text}" if _runs_as_formula(text) else text


def unquote_cell(text: str) -> str:
    """Undo `safe_cell`: one leading `'` comes off when a formula character follows it."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text
