"""Summaries with citations: the weekly leader summary, a sprint's retro summary and "what
changed on this objective". Each is composed offline from templates over the facts
(assistant.facts); with a model it is asked to write from the same facts, and every sentence
it writes passes the checker (assistant.checker) or is dropped with a visible note. When every
model sentence is dropped, or the model fails, the offline sentences are shown."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from alignment.models import Membership
from assistant import facts as F
from assistant import runner
from assistant.checker import Record, Ref, Sentence, check, parse_lines
from assistant.models import Feature
from okrs.models import Objective
from tasks.models import Sprint

SYSTEM = (
    "You write short factual summaries for an OKR tool. Use ONLY the records given as JSON. "
    "Write one sentence per line, 3 to 6 lines, no headings. End every sentence with the "
    "citation tokens of the records it rests on, e.g. [kr:12] [objective:3]. Use only numbers "
    "that appear in the cited records; never invent names or figures."
)


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Line:
    text: str
    links: tuple[Link, ...]
    refs: tuple[Ref, ...]


@dataclass
class Summary:
    feature: str
    title: str
    lines: list[Line] = field(default_factory=list)
    source: str = "offline"  # offline | model
    note: str = ""
    dropped: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "title": self.title,
            "source": self.source,
            "note": self.note,
            "sentences": [
                {
                    "text": line.text,
                    "citations": [
                        {"kind": kind, "id": pk, "label": link.label, "url": link.url}
                        for (kind, pk), link in zip(line.refs, line.links, strict=True)
                    ],
                }
                for line in self.lines
            ],
            "dropped": [{"text": text, "reason": why} for text, why in self.dropped],
        }


def _sentence(text: str, *records: Record) -> Sentence:
    return Sentence(text=text, refs=tuple((r.kind, r.pk) for r in records))


def _render(sentences: list[Sentence], records: dict[Ref, Record]) -> list[Line]:
    lines = []
    for s in sentences:
        cited = [records[ref] for ref in s.refs]
        links = tuple(Link(f"{r.kind} {r.pk}: {r.name}", r.url) for r in cited)
        lines.append(Line(s.text, links, s.refs))
    return lines


def _pct(value: int) -> str:
    return f"{value}%"


def _num(value: object) -> str:
    return f"{float(value):g}"  # type: ignore[arg-type]


def _finish(
    member: Membership,
    feature: str,
    title: str,
    offline: list[Sentence],
    facts: F.Facts,
    *,
    stream: bool = True,
) -> Summary:
    """Offline sentences, or the model's checked sentences when a model may answer."""
    summary = Summary(feature, title)
    checked_offline = check(offline, facts.records)
    summary.lines = _render(checked_offline.kept, facts.records)
    prompt_facts = [
        {"cite": r.token, "name": r.name, "numbers": sorted(r.numbers)}
        for r in facts.records.values()
    ]
    context = [s.text + " " + " ".join(f"[{k}:{p}]" for k, p in s.refs) for s in offline]
    messages = [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"Task: {title}.\nRecords: {json.dumps(prompt_facts)}\n"
            f"Facts in plain words:\n" + "\n".join(context),
        },
    ]
    answer = runner.ask(member, feature, messages, stream=stream)
    summary.note = answer.note
    if answer.text is None:
        return summary
    checked = check(parse_lines(answer.text), facts.records)
    summary.dropped = checked.dropped
    if not checked.kept:
        summary.note = (
            "The model's sentences were not supported by the records; the offline summary is shown."
        )
    else:
        summary.source = "model"
        summary.lines = _render(checked.kept, facts.records)
        if checked.dropped:
            summary.note = (
                f"{len(checked.dropped)} sentence(s) of the model were dropped: their numbers or "
                "names are not in the records they cite."
            )
    runner.note_on(answer.log_id, summary.note)
    return summary


def weekly_summary(
    member: Membership, *, today: date | None = None, stream: bool = True
) -> Summary:
    today = today or F.local_today()
    facts = F.Facts()
    found = F.objective_facts(facts, member, F.active_objectives(member, today), today)
    sentences: list[Sentence] = []
    if not found:
        return Summary(Feature.WEEKLY, "Weekly summary", note="No active objectives this period.")
    by_status: dict[str, list[F.ObjectiveFact]] = {}
    for fact in found:
        by_status.setdefault(fact.row.status if fact.row else "unknown", []).append(fact)
    for fact in found:
        if fact.row is None:
            continue
        sentences.append(
            _sentence(
                f"“{fact.objective.title}” is at {_pct(fact.row.percent)} against an expected "
                f"{_pct(fact.row.expected_percent)} and is {fact.status}.",
                fact.record,
            )
        )
    behind = by_status.get("off_track", []) + by_status.get("at_risk", [])
    if behind:
        sentences.append(
            _sentence(
                f"{len(behind)} of {len(found)} active objectives need attention this week.",
                *[f.record for f in behind],
            )
        )
        # The counts are of the cited set: give the checker the numbers it rests on.
        for f in behind:
            facts.records[(f.record.kind, f.record.pk)] = Record(
                f.record.kind,
                f.record.pk,
                f.record.name,
                f.record.numbers | F.numbers_of(len(behind), len(found)),
                f.record.url,
            )
    return _finish(member, Feature.WEEKLY, "Weekly leader summary", sentences, facts, stream=stream)


def retro_summary(
    member: Membership, sprint: Sprint, *, today: date | None = None, stream: bool = True
) -> Summary:
    today = today or F.local_today()
    facts = F.Facts()
    row = F.sprint_record(facts, member, sprint, today)
    record = facts.records[("sprint", sprint.pk)]
    days = (sprint.end_date - sprint.start_date).days + 1
    sentences = [
        _sentence(f"“{sprint.name}” ran for {days} days.", record),
    ]
    if row is not None and row.total_count:
        # The percent is the read model's progress: by points when the tasks have points.
        pct = "" if row.total_points else f" ({_pct(row.percent)})"
        sentences.append(
            _sentence(
                f"The team finished {row.done_count} of {row.total_count} tasks{pct}.", record
            )
        )
        if row.total_points:
            sentences.append(
                _sentence(
                    f"{_num(row.done_points)} of {_num(row.total_points)} points were done "
                    f"({_pct(row.percent)}).",
                    record,
                )
            )
        left = row.total_count - row.done_count
        if left:
            noun = "task was" if left == 1 else "tasks were"
            sentences.append(_sentence(f"{left} {noun} not finished.", record))
    else:
        sentences.append(_sentence("The sprint had no tasks.", record))
    title = f"Retro summary of {sprint.name}"
    return _finish(member, Feature.RETRO, title, sentences, facts, stream=stream)


def objective_changes(
    member: Membership, objective: Objective, *, today: date | None = None, stream: bool = True
) -> Summary:
    today = today or F.local_today()
    since = F.week_before(today)
    facts = F.Facts()
    (fact,) = F.objective_facts(facts, member, [objective], today)
    krs = F.key_result_facts(facts, member, objective, today, since)
    sentences: list[Sentence] = []
    if fact.row is not None:
        sentences.append(
            _sentence(
                f"“{objective.title}” is at {_pct(fact.row.percent)} and {fact.status}.",
                fact.record,
            )
        )
    moved = [k for k in krs if k.check_ins]
    for k in moved:
        first, last = k.check_ins[0].value, k.check_ins[-1].value
        count = len(k.check_ins)
        checkins = "check-in" if count == 1 else "check-ins"
        pct = f", now {_pct(k.row.percent)} done" if k.row else ""
        sentences.append(
            _sentence(
                f"“{k.key_result.title}” had {count} {checkins} this week, "
                f"from {_num(first)} to {_num(last)}{pct}.",
                k.record,
            )
        )
    quiet = [k for k in krs if not k.check_ins]
    for k in quiet:
        pct = f" and stays at {_pct(k.row.percent)}" if k.row else ""
        sentences.append(
            _sentence(f"“{k.key_result.title}” had no check-in this week{pct}.", k.record)
        )
    title = f"What changed on {objective.title}"
    return _finish(member, Feature.OBJECTIVE, title, sentences, facts, stream=stream)
