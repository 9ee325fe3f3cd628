"""A deterministic SMART review of objective and key result drafts: rules, not a model.

It reads plain dataclasses (or mappings such as form or API input, or saved rows through
`draft_from_objective`), so it works on unsaved input and writes nothing. Each finding names
its letter (S, M, A, R, T), a code, a message and a concrete suggestion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from okrs.models import Objective

LETTERS = ("S", "M", "A", "R", "T")
LETTER_NAMES = {
    "S": "Specific",
    "M": "Measurable",
    "A": "Achievable",
    "R": "Relevant",
    "T": "Time-bound",
}
VAGUE_WORDS = frozenset(
    {
        "improve", "improved", "improving", "enhance", "enhanced", "enhancing",
        "optimize", "optimise", "optimized", "optimizing", "better", "support",
        "supporting", "boost", "streamline", "strengthen", "maximize", "maximise",
        "leverage", "facilitate", "ensure", "drive", "grow",
    }
)  # fmt: skip
TASK_VERBS = frozenset(
    {
        "implement", "build", "launch", "write", "migrate", "create", "develop", "deploy",
        "design", "refactor", "add", "release", "ship", "deliver", "finish", "complete",
        "set", "setup", "install", "introduce", "roll", "hire", "organize", "organise",
        "hold", "run", "start", "document", "integrate", "rewrite", "upgrade",
    }
)  # fmt: skip
NUMERIC_KINDS = frozenset({"number", "percentage", "currency"})
MIN_TITLE_WORDS, MIN_TITLE_CHARS = 3, 10
MAX_OBJECTIVE_TITLE, MAX_KEY_RESULT_TITLE = 100, 120
MAX_KEY_RESULTS = 5
HAS_NUMBER = re.compile(r"\d")
WORD = re.compile(r"[a-zA-Z][a-zA-Z'-]*")


@dataclass(frozen=True)
class KeyResultDraft:
    title: str
    kind: str = "number"
    unit: str = ""
    baseline: float | None = None
    target: float | None = None
    has_owner: bool = False
    steps: int = 0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> KeyResultDraft:
        return cls(
            title=str(data.get("title") or ""),
            kind=str(data.get("kind") or "number"),
            unit=str(data.get("unit") or ""),
            baseline=_number(data.get("baseline")),
            target=_number(data.get("target")),
            has_owner=data.get("owner") not in (None, "", 0),
            steps=len(data.get("milestones") or []),
        )


@dataclass(frozen=True)
class ObjectiveDraft:
    title: str
    description: str = ""
    level: str = "team"
    has_owner: bool = False
    has_period: bool = False
    has_parent: bool = False
    key_results: Sequence[KeyResultDraft] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ObjectiveDraft:
        raw_krs = data.get("key_results") or []
        return cls(
            title=str(data.get("title") or ""),
            description=str(data.get("description") or ""),
            level=str(data.get("level") or "team"),
            has_owner=data.get("owner") not in (None, "", 0),
            has_period=data.get("period") not in (None, "", 0),
            has_parent=data.get("parent") not in (None, "", 0),
            key_results=tuple(
                kr if isinstance(kr, KeyResultDraft) else KeyResultDraft.from_mapping(kr)
                for kr in raw_krs
                if isinstance(kr, KeyResultDraft | Mapping)
            ),
        )


@dataclass(frozen=True)
class Finding:
    letter: str
    code: str
    message: str
    suggestion: str
    subject: str = "objective"  # "objective" or "key_results[i]" (or "key_result" alone)


@dataclass
class Review:
    findings: list[Finding] = field(default_factory=list)

    @property
    def is_smart(self) -> bool:
        return not self.findings

    @property
    def by_letter(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {letter: [] for letter in LETTERS}
        for finding in self.findings:
            grouped[finding.letter].append(finding)
        return grouped

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def _has_measure(text: str) -> bool:
    return bool(HAS_NUMBER.search(text)) or "%" in text


def _title_findings(title: str, limit: int, subject: str, noun: str) -> list[Finding]:
    text = title.strip()
    if len(_words(text)) < MIN_TITLE_WORDS or len(text) < MIN_TITLE_CHARS:
        return [
            Finding(
                "S",
                "title_too_short",
                f"“{text}” is too short to say what should change.",
                f"Write the {noun} as a full phrase of at least {MIN_TITLE_WORDS} words, "
                "e.g. “Make onboarding effortless for new teams”.",
                subject,
            )
        ]
    if len(text) > limit:
        return [
            Finding(
                "S",
                "title_too_long",
                f"The {noun} is {len(text)} characters; people will not remember it.",
                f"Keep it under {limit} characters and move the detail to the description.",
                subject,
            )
        ]
    return []


def _vague(title: str) -> str | None:
    for word in _words(title):
        if word in VAGUE_WORDS:
            return word
    return None


def review_key_result(
    draft: KeyResultDraft | Mapping[str, Any], *, subject: str = "key_result"
) -> Review:
    """Findings for one key result draft."""
    kr = draft if isinstance(draft, KeyResultDraft) else KeyResultDraft.from_mapping(draft)
    findings = _title_findings(kr.title, MAX_KEY_RESULT_TITLE, subject, "key result")
    words = _words(kr.title)
    measured = _has_measure(kr.title) or (kr.kind in NUMERIC_KINDS and kr.target is not None)
    vague = _vague(kr.title)
    if vague and not _has_measure(kr.title):
        findings.append(
            Finding(
                "S",
                "vague_verb",
                f"“{vague}” says which way to go, not where to arrive.",
                "Name the metric and the number, e.g. “Cut time to first value from 5 days "
                "to 2 days”.",
                subject,
            )
        )
    if words and words[0] in TASK_VERBS and not _has_measure(kr.title):
        findings.append(
            Finding(
                "M",
                "task_not_outcome",
                f"“{kr.title.strip()}” reads like a task (output), not a result (outcome).",
                "Keep the task on the roadmap and measure what it changes, e.g. "
                "“Weekly active teams from 40 to 80”.",
                subject,
            )
        )
    if kr.kind in NUMERIC_KINDS:
        if kr.target is None:
            findings.append(
                Finding(
                    "T",
                    "no_target",
                    "There is no target value, so nobody can tell when it is done this period.",
                    "Set the baseline you start from and the target to reach by the period end.",
                    subject,
                )
            )
        elif kr.baseline is not None and kr.target == kr.baseline:
            findings.append(
                Finding(
                    "M",
                    "target_equals_baseline",
                    f"The target equals the baseline ({kr.target:g}): there is nothing to move.",
                    "Choose a target above the baseline to grow a metric, or below it to reduce "
                    "one.",
                    subject,
                )
            )
        if not kr.unit.strip() and not _has_measure(kr.title):
            findings.append(
                Finding(
                    "M",
                    "no_measure",
                    "Neither the title nor a unit says what is counted.",
                    "Add a unit (%, €, users, ms…) or put the numbers in the title, e.g. "
                    "“NPS from 31 to 45”.",
                    subject,
                )
            )
    elif kr.kind == "milestone" and kr.steps == 0 and not measured:
        findings.append(
            Finding(
                "M",
                "no_steps",
                "A milestone result without steps is all or nothing until the last day.",
                "Break it into 3–5 weighted steps so progress shows along the way.",
                subject,
            )
        )
    if not kr.has_owner:
        findings.append(
            Finding(
                "A",
                "no_owner",
                "Nobody owns this key result.",
                "Name one owner who checks in every week; shared ownership is no ownership.",
                subject,
            )
        )
    return Review(_ordered(findings))


def review_objective(draft: ObjectiveDraft | Mapping[str, Any]) -> Review:
    """Findings for an objective draft and each of its key results."""
    objective = draft if isinstance(draft, ObjectiveDraft) else ObjectiveDraft.from_mapping(draft)
    findings = _title_findings(objective.title, MAX_OBJECTIVE_TITLE, "objective", "objective")
    measured_krs = [
        kr for kr in objective.key_results if _has_measure(kr.title) or kr.target is not None
    ]
    vague = _vague(objective.title)
    if vague and not _has_measure(objective.title) and not measured_krs:
        findings.append(
            Finding(
                "S",
                "vague_verb",
                f"“{vague}” without a measure leaves “done” open to opinion.",
                "Say who benefits and how, then add key results with numbers that prove it.",
            )
        )
    count = len(objective.key_results)
    if count == 0:
        findings.append(
            Finding(
                "M",
                "no_key_results",
                "The objective has no key results, so its progress cannot be measured.",
                "Add 2–4 key results, each a number moving from a baseline to a target.",
            )
        )
    elif count > MAX_KEY_RESULTS:
        findings.append(
            Finding(
                "A",
                "too_many_key_results",
                f"{count} key results split the team's focus.",
                f"Keep the {MAX_KEY_RESULTS} that matter most; move the rest to another "
                "objective or the roadmap.",
            )
        )
    if not objective.has_owner:
        findings.append(
            Finding(
                "A",
                "no_owner",
                "Nobody owns this objective.",
                "Name one owner who answers for it and runs the weekly check-in.",
            )
        )
    if objective.level == "team" and not objective.has_parent:
        findings.append(
            Finding(
                "R",
                "not_aligned",
                "This team objective is not aligned to any company objective.",
                "Align it under the company objective (or key result) it serves, or say why "
                "it stands alone in the description.",
            )
        )
    if not objective.has_period:
        findings.append(
            Finding(
                "T",
                "no_period",
                "There is no period, so there is no date to finish by.",
                "Put it in a period (e.g. this quarter) so progress is compared to the calendar.",
            )
        )
    for index, kr in enumerate(objective.key_results):
        findings.extend(review_key_result(kr, subject=f"key_results[{index}]").findings)
    return Review(_ordered(findings))


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: LETTERS.index(f.letter))


def draft_from_objective(objective: Objective) -> ObjectiveDraft:
    """A saved objective (with its KRs) as a draft to review."""
    return ObjectiveDraft(
        title=objective.title,
        description=objective.description,
        level=objective.level,
        has_owner=objective.owner_id is not None,
        has_period=objective.period_id is not None,
        has_parent=objective.parent_id is not None,
        key_results=tuple(
            KeyResultDraft(
                title=kr.title,
                kind=kr.kind,
                unit=kr.unit,
                baseline=float(kr.baseline),
                target=float(kr.target),
                has_owner=kr.owner_id is not None,
                steps=len(kr.milestones or []),
            )
            for kr in objective.key_results.all()
        ),
    )


__all__ = [
    "Finding",
    "KeyResultDraft",
    "ObjectiveDraft",
    "Review",
    "draft_from_objective",
    "review_key_result",
    "review_objective",
]
