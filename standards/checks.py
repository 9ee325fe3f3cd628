"""The registry of check kinds a standard is made of, and the facts they read.

Each kind answers one question about one subject (a task or a key result) from `Facts`, and
names the one place to fix it (`fix_url`). Kinds are keys stored in `Standard.checks`: rename
one only with a data migration. Pull request, review and CI facts come from
`integrations.selectors` (the PR states the integrations keep), never from its models.

Checklist items are a task's sub-tasks: the product already has them (shaping), they carry an
owner, an estimate and a state, and they show on the task page. A separate checklist model would
be a second way to say the same thing; "checklist done" means every sub-task is closed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.urls import reverse

from alignment.errors import FieldErrors
from integrations.selectors import PullRequestState
from okrs.models import KeyResult
from tasks.models import Task

TASK, KEY_RESULT = "task", "key_result"

# Fields a standard may require (per gated state): name → (label, is it filled).
FIELDS: dict[str, tuple[str, Callable[[Task], bool]]] = {
    "assignee": ("an assignee", lambda t: t.assignee_id is not None),
    "estimate": ("an estimate", lambda t: t.estimate is not None),
    "due_date": ("a due date", lambda t: t.due_date is not None),
    "description": ("a description", lambda t: bool((t.description or "").strip())),
    "roadmap_item": ("a roadmap item", lambda t: t.roadmap_item_id is not None),
    "sprint": ("a sprint", lambda t: t.sprint_id is not None),
    "priority": ("a priority", lambda t: bool(t.priority)),
}


@dataclass
class Facts:
    """What the checks of one task read, loaded once (in bulk for a board: standards.facts)."""

    slug: str
    task: Task | None = None
    key_result: KeyResult | None = None
    open_subtasks: int = 0
    subtasks: int = 0
    pull_requests: Sequence[PullRequestState] = ()
    traces_to_key_result: bool = False
    today: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    kind: str
    label: str
    ok: bool
    message: str  # why it fails (or what passed), one sentence
    fix_label: str = ""
    fix_url: str = ""

    def as_json(self, standard_key: str, standard_name: str) -> dict[str, Any]:
        return {
            "standard": standard_key,
            "standard_name": standard_name,
            "kind": self.kind,
            "check": self.label,
            "message": self.message,
            "fix": self.fix_label,
            "fix_url": self.fix_url,
        }


Verdict = tuple[bool, str]


@dataclass(frozen=True)
class CheckKind:
    key: str
    label: str
    subject: str
    description: str
    evaluate: Callable[[Facts, Mapping[str, Any]], Verdict]
    fix: Callable[[Facts], tuple[str, str]]
    phrase: str = ""  # "without a merged pull request": for findings
    clean: Callable[[Any], dict[str, Any]] = lambda params: {}

    def run(self, facts: Facts, params: Mapping[str, Any]) -> CheckResult:
        ok, message = self.evaluate(facts, params)
        fix_label, fix_url = ("", "") if ok else self.fix(facts)
        return CheckResult(self.key, self.label, ok, message, fix_label, fix_url)


def _task_url(facts: Facts, name: str = "tasks:task", anchor: str = "") -> str:
    assert facts.task is not None
    if facts.task.pk is None:
        return ""
    return reverse(name, kwargs={"slug": facts.slug, "key": facts.task.key}) + anchor


def _edit(facts: Facts) -> tuple[str, str]:
    return "Edit the task", _task_url(facts, "tasks:task_edit")


def _pr_fix(facts: Facts, label: str) -> tuple[str, str]:
    for pr in facts.pull_requests:
        if pr.url and pr.state in ("open", "draft"):
            return f"{label} on {pr.title}", pr.url
    return "Link a pull request (name the task key in it)", _task_url(facts, anchor="#links")


# --- task checks --------------------------------------------------------------------------


def _checklist(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    if facts.open_subtasks:
        return False, f"{facts.open_subtasks} of {facts.subtasks} checklist item(s) still open."
    return True, "Every checklist item is done."


def _fields(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    assert facts.task is not None
    missing = [FIELDS[n][0] for n in params.get("fields", []) if not FIELDS[n][1](facts.task)]
    if missing:
        return False, "Needs " + ", ".join(missing) + "."
    return True, "Every required field is filled."


def _clean_fields(params: Any) -> dict[str, Any]:
    names = params.get("fields") if isinstance(params, dict) else None
    if not isinstance(names, list) or not names or not all(n in FIELDS for n in names):
        raise FieldErrors(
            {"checks": f"required_fields needs a list of fields from: {', '.join(FIELDS)}."}
        )
    return {"fields": list(dict.fromkeys(names))}


def _estimate(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    assert facts.task is not None
    if facts.task.estimate is None:
        return False, "The task has no estimate."
    return True, "Estimated."


def _merged(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    if any(pr.state == "merged" for pr in facts.pull_requests):
        return True, "A linked pull request is merged."
    if facts.pull_requests:
        return False, "No linked pull request is merged yet."
    return False, "No pull request is linked to the task."


def _review(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    if any(pr.review_state == "approved" for pr in facts.pull_requests):
        return True, "A linked pull request is approved."
    if any(pr.review_state == "changes_requested" for pr in facts.pull_requests):
        return False, "The review asked for changes."
    return False, "No approved review on a linked pull request."


def _ci(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    states = [pr.ci_state for pr in facts.pull_requests if pr.ci_state]
    if not states:
        return False, "No CI result on a linked pull request."
    bad = [s for s in states if s != "passing"]
    if bad:
        return False, f"CI is {bad[0]} on a linked pull request."
    return True, "CI passes."


def _kr(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    assert facts.task is not None
    if params.get("only_in_sprint") and facts.task.sprint_id is None:
        return True, "Not in a sprint."
    if facts.traces_to_key_result:
        return True, "Traces to an active key result."
    return False, "Traces to no active key result (link its roadmap item to one)."


def _clean_kr(params: Any) -> dict[str, Any]:
    only = bool(params.get("only_in_sprint")) if isinstance(params, dict) else False
    return {"only_in_sprint": only} if only else {}


# --- key result checks --------------------------------------------------------------------


def _kr_url(facts: Facts, name: str) -> str:
    assert facts.key_result is not None
    return reverse(name, kwargs={"slug": facts.slug, "key_result_id": facts.key_result.pk})


def _owner(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    assert facts.key_result is not None
    if facts.key_result.owner_id is None:
        return False, "The key result has no owner."
    return True, "Has an owner."


def _cadence(facts: Facts, params: Mapping[str, Any]) -> Verdict:
    assert facts.key_result is not None
    assert facts.today is not None
    days = int(params.get("days", 14))
    last = facts.key_result.last_check_in_at
    if last is None:
        return False, f"No check-in yet (expected every {days} days)."
    age = (facts.today - last.date()).days
    if age > days:
        return False, f"Last check-in {age} days ago (expected every {days} days)."
    return True, f"Checked in {age} day(s) ago."


def _clean_days(params: Any) -> dict[str, Any]:
    days = params.get("days", 14) if isinstance(params, dict) else 14
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 90:
        raise FieldErrors({"checks": "check_in_cadence needs days: a whole number from 1 to 90."})
    return {"days": days}


REGISTRY: dict[str, CheckKind] = {
    k.key: k
    for k in (
        CheckKind(
            "checklist_done",
            "Checklist done",
            TASK,
            "Every sub-task (the task's checklist items) is done or canceled.",
            _checklist,
            lambda f: ("Finish the checklist", _task_url(f, anchor="#subtasks")),
            phrase="with open checklist items",
        ),
        CheckKind(
            "required_fields",
            "Required fields",
            TASK,
            "The named fields are filled in (params: fields).",
            _fields,
            _edit,
            phrase="with required fields empty",
            clean=_clean_fields,
        ),
        CheckKind(
            "estimate_present",
            "Estimate present",
            TASK,
            "The task has an estimate in points.",
            _estimate,
            lambda f: ("Add an estimate", _task_url(f, "tasks:task_edit", "#id_estimate")),
            phrase="without an estimate",
        ),
        CheckKind(
            "pr_merged",
            "Linked pull request merged",
            TASK,
            "A pull/merge request naming the task is merged.",
            _merged,
            lambda f: _pr_fix(f, "Merge"),
            phrase="without a merged PR",
        ),
        CheckKind(
            "review_approved",
            "Review approved",
            TASK,
            "A linked pull/merge request has an approving review.",
            _review,
            lambda f: _pr_fix(f, "Get a review"),
            phrase="without an approved review",
        ),
        CheckKind(
            "ci_passing",
            "CI passing",
            TASK,
            "Every CI result reported on the linked pull/merge requests passes.",
            _ci,
            lambda f: _pr_fix(f, "Fix CI"),
            phrase="without passing CI",
        ),
        CheckKind(
            "linked_to_key_result",
            "Traces to a key result",
            TASK,
            "The task's roadmap item moves an active key result (params: only_in_sprint).",
            _kr,
            lambda f: ("Link it to a roadmap item", _task_url(f, anchor="#alignment-line")),
            phrase="that trace to no key result",
            clean=_clean_kr,
        ),
        CheckKind(
            "key_result_owner",
            "Has an owner",
            KEY_RESULT,
            "The key result has an owner.",
            _owner,
            lambda f: ("Choose an owner", _kr_url(f, "okrs:key_result_edit")),
        ),
        CheckKind(
            "check_in_cadence",
            "Check-in cadence kept",
            KEY_RESULT,
            "The key result was checked in within the last `days` days (default 14).",
            _cadence,
            lambda f: ("Check in", _kr_url(f, "okrs:key_result_check_in")),
            clean=_clean_days,
        ),
    )
}


def clean_checks(subject: str, checks: Any) -> list[dict[str, Any]]:
    """The checks of a standard as stored, or FieldErrors naming what is wrong (422)."""
    if not isinstance(checks, list) or not checks:
        raise FieldErrors({"checks": "A standard needs at least one check."})
    cleaned: list[dict[str, Any]] = []
    for item in checks:
        kind_key = item.get("kind") if isinstance(item, dict) else item
        kind = REGISTRY.get(kind_key) if isinstance(kind_key, str) else None
        if kind is None:
            raise FieldErrors(
                {"checks": f"Unknown check {kind_key!r}; choose from: {', '.join(REGISTRY)}."}
            )
        if kind.subject != subject:
            raise FieldErrors({"checks": f"{kind.key} checks {kind.subject}s, not {subject}s."})
        params = item.get("params", {}) if isinstance(item, dict) else {}
        cleaned.append({"kind": kind.key, "params": kind.clean(params or {})})
    if len({c["kind"] for c in cleaned}) != len(cleaned):
        raise FieldErrors({"checks": "Each check kind can appear once in a standard."})
    return cleaned


def run_checks(checks: Sequence[Mapping[str, Any]], facts: Facts) -> list[CheckResult]:
    """Every check of a standard against one subject's facts (unknown kinds are skipped)."""
    results = []
    for check in checks:
        kind = REGISTRY.get(str(check.get("kind")))
        if kind is not None:
            results.append(kind.run(facts, check.get("params") or {}))
    return results


def cadence_cutoff(today: date, days: int) -> date:
    return today - timedelta(days=days)
