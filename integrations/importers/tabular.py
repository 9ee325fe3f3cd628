"""Reading CSV uploads: decoding, the header, guessing and checking the column mapping.

Shared by the task, OKR and Jira CSV importers. Headers are read as an ordered list, never a
dict: Jira's export repeats column names (`Sprint`, `Labels`) and a dict would keep one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from alignment.csvsafe import unquote_cell
from integrations.importers.errors import UploadInvalid

MAX_ROWS = 5000


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark; anything else is refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadInvalid(
            f"The file is not UTF-8 (byte {exc.start} cannot be read). "
            "Save it as 'CSV UTF-8' and upload it again."
        ) from exc
    if "\x00" in text:
        raise UploadInvalid("The file contains NUL bytes; it does not look like a CSV file.")
    return text


def read_rows(text: str) -> list[list[str]]:
    """Every non-blank row, the header first."""
    try:
        return [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise UploadInvalid(f"The CSV cannot be read: {exc}.") from exc


def header_of(text: str, *, noun: str = "rows") -> list[str]:
    """The header row, once the file is known to have 1..MAX_ROWS rows under it."""
    rows = read_rows(text)
    if not rows:
        raise UploadInvalid("The file is empty.")
    if len(rows) == 1:
        raise UploadInvalid(f"The file has a header row but no {noun}.")
    if len(rows) - 1 > MAX_ROWS:
        raise UploadInvalid(f"The file has {len(rows) - 1} rows; import at most {MAX_ROWS}.")
    return [cell.strip() for cell in rows[0]]


def squash(name: str) -> str:
    """ "Story Points", "story_points" and "story-points" all read "storypoints"."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def guess_mapping(header: list[str], fields: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Our field -> the first header that names it by one of its aliases (empty when none)."""
    squashed = {squash(name): name for name in reversed(header)}
    return {
        name: next((squashed[alias] for alias in aliases if alias in squashed), "")
        for name, aliases in fields.items()
    }


def mapping_errors(
    mapping: Mapping[str, str],
    header: list[str],
    labels: Mapping[str, str],
    required: tuple[str, ...],
) -> list[str]:
    """Why a mapping cannot be previewed: a required field unmapped, or a column not in the file."""
    errors = [
        f"Choose the column that holds the {labels[name].lower()}."
        for name in required
        if not mapping.get(name)
    ]
    errors += [
        f"The column “{column}” is not in the file."
        for column in mapping.values()
        if column and column not in header
    ]
    return errors


def mapped_rows(
    rows: list[list[str]], mapping: Mapping[str, str]
) -> list[tuple[int, dict[str, str]]]:
    """(line number, our field -> stripped cell) for every row under the header (line 1).

    Our exports lead formula-like text with a `'` (`alignment.csvsafe`); it comes off here so
    an exported "=1+2" imports back as "=1+2"."""
    header = [cell.strip() for cell in rows[0]] if rows else []
    index = {name: header.index(column) for name, column in mapping.items() if column}
    return [
        (number, {name: _cell(cells, i) for name, i in index.items()})
        for number, cells in enumerate(rows[1:], start=2)
    ]


def _cell(cells: list[str], i: int) -> str:
    return unquote_cell(cells[i].strip()) if i < len(cells) else ""
