"""The SMART goal generator: one sentence in, an objective with 3–5 measurable key results
out (kind, baseline, target, unit). Offline it picks key results from templates by the
sentence's theme and reads any "from X to Y" it states; with a model it asks for JSON. Either
way every key result passes the SMART review (okrs.smart) before it is offered: the ones
with findings are set aside (and listed), and offline templates top the draft up to three."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from alignment.models import Membership
from assistant import runner
from assistant.models import Feature
from okrs.smart import KeyResultDraft, review_key_result

MIN_KRS, MAX_KRS = 3, 5
MAX_SENTENCE = 300
KINDS = ("number", "percentage", "currency")


@dataclass(frozen=True)
class DraftKeyResult:
    title: str
    kind: str
    baseline: float
    target: float
    unit: str

    def as_smart(self) -> KeyResultDraft:
        # The person who accepts the draft owns what it creates (see services.accept_draft).
        return KeyResultDraft(
            title=self.title,
            kind=self.kind,
            unit=self.unit,
            baseline=self.baseline,
            target=self.target,
            has_owner=True,
        )


@dataclass
class Draft:
    sentence: str
    title: str
    key_results: list[DraftKeyResult]
    source: str = "offline"  # offline | model
    note: str = ""
    set_aside: list[dict[str, Any]] = field(default_factory=list)  # failed the review

    def as_dict(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence,
            "title": self.title,
            "key_results": [asdict(kr) for kr in self.key_results],
            "source": self.source,
            "note": self.note,
            "set_aside": self.set_aside,
        }


def kr(title: str, kind: str, baseline: float, target: float, unit: str) -> DraftKeyResult:
    return DraftKeyResult(title, kind, baseline, target, unit)


# Themes by keyword, each with key results whose numbers are starting points to edit.
THEMES: tuple[tuple[frozenset[str], tuple[DraftKeyResult, ...]], ...] = (
    (
        frozenset({"onboard", "onboarding", "activation", "activate", "signup", "setup", "trial"}),
        (
            kr("Time to first value from 5 to 2 days", "number", 5, 2, "days"),
            kr("Activation rate of new teams from 30% to 45%", "percentage", 30, 45, "%"),
            kr("Setup support tickets per week from 40 to 15", "number", 40, 15, "tickets"),
        ),
    ),
    (
        frozenset({"churn", "retention", "retain", "customer", "customers", "nps", "satisfaction"}),
        (
            kr("Monthly logo churn from 3% to 2%", "percentage", 3, 2, "%"),
            kr("NPS from 31 to 45", "number", 31, 45, "points"),
            kr("Net revenue retention from 98% to 105%", "percentage", 98, 105, "%"),
        ),
    ),
    (
        frozenset({"revenue", "sales", "sell", "pipeline", "deals", "arr", "mrr", "pricing"}),
        (
            kr("Monthly recurring revenue from 100000 to 130000", "currency", 100000, 130000, "€"),
            kr("Qualified pipeline from 40 to 60 deals", "number", 40, 60, "deals"),
            kr("Win rate from 18% to 25%", "percentage", 18, 25, "%"),
        ),
    ),
    (
        frozenset(
            {
                "quality",
                "bug",
                "bugs",
                "reliability",
                "reliable",
                "incident",
                "incidents",
                "outage",
                "outages",
                "stable",
                "stability",
                "uptime",
            }
        ),
        (
            kr("Open critical bugs from 12 to 3", "number", 12, 3, "bugs"),
            kr("Change failure rate from 20% to 10%", "percentage", 20, 10, "%"),
            kr("Monthly uptime from 99.5% to 99.9%", "percentage", 99.5, 99.9, "%"),
        ),
    ),
    (
        frozenset({"performance", "fast", "faster", "speed", "latency", "slow", "load"}),
        (
            kr("p95 page load time from 1200 ms to 600 ms", "number", 1200, 600, "ms"),
            kr("p95 API latency from 400 ms to 200 ms", "number", 400, 200, "ms"),
            kr("Pages over the 1 s budget from 25 to 5", "number", 25, 5, "pages"),
        ),
    ),
    (
        frozenset(
            {
                "delivery",
                "deliver",
                "release",
                "releases",
                "ship",
                "shipping",
                "deploy",
                "deploys",
                "deployment",
                "velocity",
                "predictable",
                "cycle",
            }
        ),
        (
            kr("Lead time for changes from 10 to 4 days", "number", 10, 4, "days"),
            kr("Deploys per week from 2 to 10", "number", 2, 10, "deploys"),
            kr("Sprint scope finished from 60% to 85%", "percentage", 60, 85, "%"),
        ),
    ),
    (
        frozenset({"hire", "hiring", "recruit", "recruiting", "team", "engineers", "people"}),
        (
            kr("Engineers hired from 0 to 4", "number", 0, 4, "engineers"),
            kr("Offer acceptance rate from 50% to 80%", "percentage", 50, 80, "%"),
            kr("Days to fill a role from 60 to 40", "number", 60, 40, "days"),
        ),
    ),
)
GENERIC = (
    kr("Weekly active users from 200 to 300", "number", 200, 300, "users"),
    kr("Customer satisfaction score from 7 to 8.5", "number", 7, 8.5, "points"),
    kr("Share of work linked to key results from 50% to 80%", "percentage", 50, 80, "%"),
    kr("Open customer-reported issues from 30 to 10", "number", 30, 10, "issues"),
)
FROM_TO = re.compile(
    r"(?:(?P<what>[A-Za-z][\w' -]{2,60}?)\s+)?from\s+(?P<a>\d+(?:\.\d+)?)\s*(?P<ua>%|[a-zA-Z€$]+)?"
    r"\s+to\s+(?P<b>\d+(?:\.\d+)?)\s*(?P<ub>%|[a-zA-Z€$]+)?",
    re.IGNORECASE,
)
WORD = re.compile(r"[a-z]+")


class DraftError(ValueError):
    pass


def clean_sentence(sentence: str) -> str:
    text = " ".join(str(sentence or "").split())
    if not text:
        raise DraftError("Write one sentence about what you want to achieve.")
    if len(text) > MAX_SENTENCE:
        raise DraftError(f"Keep the sentence under {MAX_SENTENCE} characters.")
    return text


def objective_title(sentence: str) -> str:
    text = sentence.strip().rstrip(".!?;:").strip()
    text = re.sub(r"^(?:we|i)\s+(?:want|need|would like)\s+to\s+", "", text, flags=re.I)
    if len(text) > 100:
        text = text[:100].rsplit(" ", 1)[0]
    return text[:1].upper() + text[1:]


def _stated(sentence: str) -> list[DraftKeyResult]:
    """Key results the sentence states itself: "... from 40% to 60%"."""
    found = []
    for match in FROM_TO.finditer(sentence):
        a, b = float(match["a"]), float(match["b"])
        unit = match["ub"] or match["ua"] or ""
        what = (match["what"] or "").strip()
        what = re.sub(r"^(?:to\s+)?(?:\w+\s+)?(?:our|the)\s+", "", what, flags=re.I) or "Metric"
        kind = "percentage" if unit == "%" else "currency" if unit in ("€", "$") else "number"
        suffix = "%" if unit == "%" else f" {unit}" if unit else ""
        title = f"{what[:1].upper()}{what[1:]} from {a:g}{suffix} to {b:g}{suffix}"
        found.append(DraftKeyResult(title[:120], kind, a, b, unit[:20]))
    return found


def offline_key_results(sentence: str) -> list[DraftKeyResult]:
    words = set(WORD.findall(sentence.lower()))
    picked = _stated(sentence)
    for keywords, templates in THEMES:
        if words & keywords:
            picked.extend(templates)
    if len(picked) < MIN_KRS:
        picked.extend(GENERIC)
    return picked


def passes_review(candidate: DraftKeyResult) -> list[str]:
    """The SMART review's findings (codes) for one key result; [] passes."""
    return review_key_result(candidate.as_smart()).codes


def _assemble(
    candidates: list[DraftKeyResult], set_aside: list[dict[str, Any]]
) -> list[DraftKeyResult]:
    chosen: list[DraftKeyResult] = []
    seen: set[str] = set()
    for candidate in candidates:
        key = candidate.title.casefold()
        if key in seen or len(chosen) >= MAX_KRS:
            continue
        seen.add(key)
        codes = passes_review(candidate)
        if codes:
            set_aside.append({"title": candidate.title, "findings": codes})
            continue
        chosen.append(candidate)
    return chosen


def _from_model(text: str) -> tuple[str | None, list[DraftKeyResult]]:
    """The JSON object in a model's answer (code fences and chatter around it ignored)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None, []
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None, []
    if not isinstance(data, dict):
        return None, []
    title = data.get("objective")
    results = []
    for item in data.get("key_results") or []:
        if not isinstance(item, dict):
            continue
        try:
            baseline, target = float(item["baseline"]), float(item["target"])
        except (KeyError, TypeError, ValueError):
            continue
        kind = str(item.get("kind") or "number")
        results.append(
            DraftKeyResult(
                title=str(item.get("title") or "")[:120],
                kind=kind if kind in KINDS else "number",
                baseline=baseline,
                target=target,
                unit=str(item.get("unit") or "")[:20],
            )
        )
    return (str(title)[:100] if isinstance(title, str) and title.strip() else None), results


PROMPT = (
    'Draft an OKR from the user\'s sentence. Answer with JSON only: {"objective": str, '
    '"key_results": [{"title": str, "kind": "number"|"percentage"|"currency", '
    '"baseline": number, "target": number, "unit": str}]} with 3 to 5 key results. Each '
    'key result title names the metric and its numbers, e.g. "NPS from 31 to 45"; the '
    "objective is an inspiring outcome, not a task."
)


def draft(member: Membership, sentence: str, *, stream: bool = False) -> Draft:
    sentence = clean_sentence(sentence)
    title = objective_title(sentence)
    set_aside: list[dict[str, Any]] = []
    answer = runner.ask(
        member,
        Feature.DRAFT,
        [{"role": "system", "content": PROMPT}, {"role": "user", "content": sentence}],
        stream=stream,
    )
    note, source = answer.note, "offline"
    if answer.text is None:
        chosen = _assemble(offline_key_results(sentence), set_aside)
        return Draft(sentence, title, chosen, source, note, set_aside)
    model_title, candidates = _from_model(answer.text)
    chosen = _assemble(candidates, set_aside)
    if model_title and chosen:
        title, source = model_title, "model"
    if len(chosen) < MIN_KRS:
        note = (
            f"The model offered {len(chosen)} key result(s) that pass the SMART review; "
            "templates filled in the rest."
        )
        chosen = _assemble(chosen + offline_key_results(sentence), [])
    runner.note_on(answer.log_id, note)
    return Draft(sentence, title, chosen, source, note, set_aside)
