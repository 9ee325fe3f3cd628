"""Parsing numbers out of URLs, forms and headers without surprises.

`str.isdigit()` is true for "²" and "٣", which `int()` then rejects or reads as another
number, and it accepts "9" * 40, which overflows every database integer. These helpers
accept plain ASCII digits of a sane length only, so a bad value is "absent", never a 500.
"""

from __future__ import annotations

# Larger than any id we hand out, small enough for a BIGINT and a JavaScript number.
MAX_DIGITS = 15


def is_digits(value: object) -> bool:
    """True for a non-empty string of ASCII digits of at most MAX_DIGITS characters."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_DIGITS
        and value.isascii()
        and value.isdigit()
    )


def parse_id(value: object) -> int | None:
    """The positive whole number `value` spells, or None."""
    if isinstance(value, str) and is_digits(value):
        return int(value)
    return None
