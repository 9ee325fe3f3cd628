"""Yjs awareness (who is where in a document) as the document socket relays it.

An awareness update, as y-protocols encodes it, is
    varuint n, then n × (varuint client id, varuint clock, varstring JSON state or "null").
A page sends only its own state: its caret and selection as Yjs relative positions, plus a
`user` field. The server never stores awareness; it checks the bytes, caps the number of
states, and overwrites `user` with who the socket really is (name and a colour derived from
the person's id), so one page cannot draw its caret under another person's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# One page has one Yjs client id; a few allow a page that re-created its Y.Doc.
MAX_STATES = 4
# Distinct on white and on the dark theme; a person keeps theirs on every page.
COLOURS = (
    "#d1495b",
    "#00798c",
    "#edae49",
    "#66a182",
    "#8367c7",
    "#e07a5f",
    "#3d5a80",
    "#b5838d",
)


class InvalidAwareness(ValueError):
    """Bytes that are not an awareness update this socket may send."""


@dataclass(frozen=True)
class Entry:
    client_id: int
    clock: int
    state: dict[str, Any] | None  # None: the client left


def colour_of(user_id: int) -> str:
    return COLOURS[user_id % len(COLOURS)]


def _read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 49:  # lib0 writes at most 53-bit numbers
            raise InvalidAwareness("truncated or oversized number")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _write_var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def decode(data: bytes) -> list[Entry]:
    """The entries of an awareness update, or InvalidAwareness (nothing may be left over)."""
    count, pos = _read_var_uint(data, 0)
    if not 1 <= count <= MAX_STATES:
        raise InvalidAwareness(f"an awareness update carries 1 to {MAX_STATES} states")
    entries = []
    for _ in range(count):
        client_id, pos = _read_var_uint(data, pos)
        clock, pos = _read_var_uint(data, pos)
        length, pos = _read_var_uint(data, pos)
        if pos + length > len(data):
            raise InvalidAwareness("truncated state")
        try:
            state = json.loads(data[pos : pos + length].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidAwareness("a state that is not JSON") from exc
        if state is not None and not isinstance(state, dict):
            raise InvalidAwareness("a state must be a JSON object or null")
        pos += length
        entries.append(Entry(client_id, clock, state))
    if pos != len(data):
        raise InvalidAwareness("bytes after the last state")
    return entries


def encode(entries: list[Entry]) -> bytes:
    out = bytearray(_write_var_uint(len(entries)))
    for entry in entries:
        state = json.dumps(entry.state, separators=(",", ":")).encode()
        out += _write_var_uint(entry.client_id) + _write_var_uint(entry.clock)
        out += _write_var_uint(len(state)) + state
    return bytes(out)


def stamped(entries: list[Entry], user_id: int, name: str) -> list[Entry]:
    """The entries with `user` set to the socket's own person (whatever the page claimed)."""
    user = {"id": user_id, "name": name, "color": colour_of(user_id)}
    return [
        Entry(e.client_id, e.clock, None if e.state is None else {**e.state, "user": user})
        for e in entries
    ]


def departure(clocks: dict[int, int]) -> bytes:
    """The update saying these clients left (state null, clock one higher): sent for a page
    whose socket closed, so its caret disappears at once instead of after the 30 s timeout."""
    return encode([Entry(cid, clock + 1, None) for cid, clock in clocks.items()])
