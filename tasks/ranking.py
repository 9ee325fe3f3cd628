"""Ordering keys for board and backlog: moving a card writes one row, never renumbers.

A key is a string over the 36 characters `0-9a-z`, compared as plain strings. Using only
digits and lowercase letters makes the order the same in Python, SQLite (BINARY) and in
PostgreSQL under any common collation (C or a language locale), so `ORDER BY rank` agrees
with `sorted()`.

The scheme is fractional indexing (as in rocicorp/fractional-indexing): a key is an
"integer part" whose first character says how many digits follow, then an optional
fraction. Appending after the last card increments the integer (keys stay short for
thousands of appends); inserting between two cards takes the midpoint of their fractions.
A valid key never ends in "0" in its fraction, so there is always room between two keys.
"""

from __future__ import annotations

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
# Heads are the same 36 characters: "0".."h" start negative integers (the lower the head,
# the longer the integer), "i".."z" start non-negative ones (the higher, the longer).
POSITIVE_HEADS = DIGITS[18:]  # "i".."z": integer of 1..18 digits
NEGATIVE_HEADS = DIGITS[:18]  # "0".."h": integer of 18..1 digits
INTEGER_ZERO = "i0"
SMALLEST_INTEGER = "0" + "0" * 18


class RankError(ValueError):
    """The neighbours given cannot bound a new key (out of order or invalid)."""


def _integer_length(head: str) -> int:
    if head in POSITIVE_HEADS:
        return POSITIVE_HEADS.index(head) + 2
    if head in NEGATIVE_HEADS:
        return len(NEGATIVE_HEADS) - NEGATIVE_HEADS.index(head) + 1
    raise RankError(f"Invalid rank head {head!r}.")


def _integer_part(key: str) -> str:
    length = _integer_length(key[0])
    if length > len(key):
        raise RankError(f"Invalid rank {key!r}.")
    return key[:length]


def validate_key(key: str) -> None:
    """Raise RankError unless `key` is a well-formed rank."""
    if not key or any(c not in DIGITS for c in key):
        raise RankError(f"Invalid rank {key!r}.")
    integer = _integer_part(key)
    if integer == SMALLEST_INTEGER:
        raise RankError(f"Invalid rank {key!r}.")
    if key[len(integer) :].endswith("0"):
        raise RankError(f"Invalid rank {key!r}.")


def is_valid_key(key: str) -> bool:
    try:
        validate_key(key)
    except RankError:
        return False
    return True


def _midpoint(a: str, b: str | None) -> str:
    """A fraction strictly between fractions a and b (b None: no upper bound)."""
    if b is not None:
        n = 0
        while n < len(b) and (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = DIGITS.index(a[0]) if a else 0
    digit_b = DIGITS.index(b[0]) if b is not None else BASE
    if digit_b - digit_a > 1:
        return DIGITS[(digit_a + digit_b + 1) // 2]
    if b is not None and len(b) > 1:
        return b[:1]
    return DIGITS[digit_a] + _midpoint(a[1:], None)


def _increment_integer(x: str) -> str | None:
    head, digits = x[0], list(x[1:])
    carry = True
    for i in range(len(digits) - 1, -1, -1):
        d = DIGITS.index(digits[i]) + 1
        if d == BASE:
            digits[i] = DIGITS[0]
        else:
            digits[i] = DIGITS[d]
            carry = False
            break
    if not carry:
        return head + "".join(digits)
    if head == NEGATIVE_HEADS[-1]:
        return POSITIVE_HEADS[0] + DIGITS[0]
    if head == POSITIVE_HEADS[-1]:
        return None
    new_head = DIGITS[DIGITS.index(head) + 1]
    if new_head in POSITIVE_HEADS:
        digits.append(DIGITS[0])
    else:
        digits.pop()
    return new_head + "".join(digits)


def _decrement_integer(x: str) -> str | None:
    head, digits = x[0], list(x[1:])
    borrow = True
    for i in range(len(digits) - 1, -1, -1):
        d = DIGITS.index(digits[i]) - 1
        if d == -1:
            digits[i] = DIGITS[-1]
        else:
            digits[i] = DIGITS[d]
            borrow = False
            break
    if not borrow:
        return head + "".join(digits)
    if head == POSITIVE_HEADS[0]:
        return NEGATIVE_HEADS[-1] + DIGITS[-1]
    if head == NEGATIVE_HEADS[0]:
        return None
    new_head = DIGITS[DIGITS.index(head) - 1]
    if new_head in NEGATIVE_HEADS:
        digits.append(DIGITS[-1])
    else:
        digits.pop()
    return new_head + "".join(digits)


def key_between(a: str | None, b: str | None) -> str:
    """A key strictly between a and b; None means "no neighbour on that side"."""
    if a is not None:
        validate_key(a)
    if b is not None:
        validate_key(b)
    if a is not None and b is not None and a >= b:
        raise RankError(f"{a!r} is not before {b!r}.")
    if a is None:
        if b is None:
            return INTEGER_ZERO
        int_b = _integer_part(b)
        frac_b = b[len(int_b) :]
        if int_b == SMALLEST_INTEGER:
            return int_b + _midpoint("", frac_b)
        if int_b < b:
            return int_b
        lower = _decrement_integer(int_b)
        if lower is None:
            raise RankError("Cannot go below the smallest rank.")
        return lower
    if b is None:
        int_a = _integer_part(a)
        frac_a = a[len(int_a) :]
        higher = _increment_integer(int_a)
        return int_a + _midpoint(frac_a, None) if higher is None else higher
    int_a = _integer_part(a)
    frac_a = a[len(int_a) :]
    int_b = _integer_part(b)
    frac_b = b[len(int_b) :]
    if int_a == int_b:
        return int_a + _midpoint(frac_a, frac_b)
    higher = _increment_integer(int_a)
    if higher is None:
        raise RankError("Cannot go above the largest rank.")
    if higher < b:
        return higher
    return int_a + _midpoint(frac_a, None)


def keys_between(a: str | None, b: str | None, n: int) -> list[str]:
    """n ascending keys strictly between a and b, spread so that none grows long."""
    if n <= 0:
        return []
    if n == 1:
        return [key_between(a, b)]
    if b is None:
        keys = [key_between(a, None)]
        for _ in range(n - 1):
            keys.append(key_between(keys[-1], None))
        return keys
    if a is None:
        keys = [key_between(None, b)]
        for _ in range(n - 1):
            keys.append(key_between(None, keys[-1]))
        return list(reversed(keys))
    middle = n // 2
    c = key_between(a, b)
    return [*keys_between(a, c, middle), c, *keys_between(c, b, n - middle - 1)]
