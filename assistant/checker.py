"""Citations and the check that keeps summaries honest.

A summary is a list of sentences, each citing the records it rests on with tokens such as
`[objective:3]`, `[kr:12]`, `[sprint:5]`, `[task:40]`. `check` keeps a sentence only when:
- it cites at least one record, and every cited record is one of the facts given;
- every number in it is a number of a cited record (a percent, a count, points, a baseline,
  target or current value);
- every record name it mentions (quoted, or verbatim) belongs to a cited record.
Anything else is dropped and reported, so a model cannot slip in a figure nobody measured.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

CITATION = re.compile(r"\[(objective|kr|sprint|task|team):(\d+)\]")
# Numbers as people write them: 12, 12.5, 1,200, -3; not the digits inside a citation.
NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])-?\d+(?:\.\d+)?")
QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")

Ref = tuple[str, int]


@dataclass(frozen=True)
class Record:
    """One record a summary may cite: its name, the numbers it supports, its page."""

    kind: str
    pk: int
    name: str
    numbers: frozenset[float]
    url: str

    @property
    def token(self) -> str:
        return f"[{self.kind}:{self.pk}]"


@dataclass(frozen=True)
class Sentence:
    text: str  # without the citation tokens
    refs: tuple[Ref, ...]


@dataclass
class Checked:
    kept: list[Sentence] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sentence, why)


def numbers_of(*values: float | int | Decimal | None) -> frozenset[float]:
    return frozenset(round(float(v), 4) for v in values if v is not None)


def parse_sentence(raw: str) -> Sentence:
    """Split a line into its text and its citation tokens."""
    refs = tuple((kind, int(pk)) for kind, pk in CITATION.findall(raw))
    text = CITATION.sub("", raw)
    text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
    return Sentence(text=text, refs=refs)


def parse_lines(output: str) -> list[Sentence]:
    """A model's answer, one sentence per line (bullets and numbering stripped)."""
    sentences = []
    for line in output.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip()
        if line:
            sentences.append(parse_sentence(line))
    return sentences


def _numbers_in(text: str) -> list[float]:
    return [round(float(match.replace(",", "")), 4) for match in NUMBER.findall(text)]


def why_unsupported(sentence: Sentence, facts: Mapping[Ref, Record]) -> str | None:
    """None when the cited records support the sentence, else the reason it does not."""
    if not sentence.refs:
        return "cites no record"
    missing = [f"{kind}:{pk}" for kind, pk in sentence.refs if (kind, pk) not in facts]
    if missing:
        return f"cites a record that is not in the facts ({', '.join(missing)})"
    cited = [facts[ref] for ref in sentence.refs]
    supported = set().union(*(record.numbers for record in cited))
    for number in _numbers_in(sentence.text):
        if number not in supported:
            return f"the number {number:g} is not in the cited records"
    names = {record.name.casefold() for record in cited}
    for quoted in QUOTED.findall(sentence.text):
        if quoted.strip().casefold() not in names:
            return f"“{quoted}” is not the name of a cited record"
    lowered = sentence.text.casefold()
    for ref, record in facts.items():
        name = record.name.casefold()
        if ref not in sentence.refs and len(name) >= 8 and name in lowered and name not in names:
            return f"names “{record.name}” without citing it"
    return None


def check(sentences: Iterable[Sentence], facts: Mapping[Ref, Record]) -> Checked:
    result = Checked()
    for sentence in sentences:
        reason = why_unsupported(sentence, facts)
        if reason is None:
            result.kept.append(sentence)
        else:
            result.dropped.append((sentence.text, reason))
    return result
