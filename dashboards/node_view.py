"""A record as a dashboard shows it: its stored rollup, its link and its reasons as sentences."""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboards.reasons import Link, Names, reason_sentence
from okrs import progress as okr_math
from readmodel.models import Rollup


@dataclass
class NodeView:
    """A node with its stored rollup, its link and its reasons as sentences."""

    link: Link
    row: Rollup | None
    sentences: list[str] = field(default_factory=list)
    level: str = ""

    @property
    def status(self) -> str:
        return self.row.status if self.row else okr_math.ON_TRACK

    @property
    def percent(self) -> int:
        return self.row.percent if self.row else 0

    @property
    def expected_percent(self) -> int:
        return self.row.expected_percent if self.row else 0


def reason_sentences(row: Rollup | None, names: Names) -> list[str]:
    """The stored row's reasons, each as a sentence naming its records."""
    return [reason_sentence(r, names) for r in row.reasons] if row else []


def reason_keys(row: Rollup) -> list[tuple[str, int]]:
    """The [kind, id] of every record the row's reasons name, for `Names.load`."""
    return [(str(k), int(i)) for r in row.reasons for k, i in r.get("objects", [])]
