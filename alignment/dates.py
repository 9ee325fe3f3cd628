"""Date ranges as every form and service checks them: a sprint's start to end, a roadmap
item's start to target. One rule and one wording, so the page and the API refuse alike."""

from __future__ import annotations

from datetime import date


def range_error(start: date | None, end: date | None, *, end_name: str = "end") -> str | None:
    """Why the range is refused (its `end_name` date lies before its start), or None; an open
    end (either date unset) is a valid range."""
    if start and end and end < start:
        return f"The {end_name} date cannot be before the start date."
    return None
