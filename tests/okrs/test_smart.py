"""SMART review: a table of good and bad drafts and the findings each gets."""

from __future__ import annotations

import pytest

from okrs.smart import (
    KeyResultDraft,
    ObjectiveDraft,
    review_key_result,
    review_objective,
)

OWNED = {"owner": 1}
GOOD_KR = {"title": "Weekly active teams from 40 to 80", "target": 80, "baseline": 40, **OWNED}


@pytest.mark.parametrize(
    ("draft", "codes"),
    [
        pytest.param(GOOD_KR, [], id="good numeric"),
        pytest.param(
            {
                "title": "Cut p95 latency from 800 ms to 300 ms",
                "baseline": 800,
                "target": 300,
                "unit": "ms",
                **OWNED,
            },
            [],
            id="good decreasing",
        ),
        pytest.param(
            {"title": "Pass the SOC 2 type I audit", "kind": "boolean", **OWNED},
            [],
            id="good boolean",
        ),
        pytest.param(
            {"title": "Improve the onboarding experience", "target": 10, "baseline": 0, **OWNED},
            ["vague_verb", "no_measure"],
            id="vague verb without a measure",
        ),
        pytest.param(
            {
                "title": "Implement the new billing service",
                "target": 1,
                "baseline": 0,
                "unit": "",
                **OWNED,
            },
            ["task_not_outcome", "no_measure"],
            id="task, not outcome",
        ),
        pytest.param(
            {"title": "Migrate the search cluster", "kind": "boolean", **OWNED},
            ["task_not_outcome"],
            id="task as a boolean",
        ),
        pytest.param(
            {"title": "Active teams from 40 to 40", "baseline": 40, "target": 40, **OWNED},
            ["target_equals_baseline"],
            id="target equals baseline",
        ),
        pytest.param(
            {"title": "Raise weekly active teams", "baseline": 40, **OWNED},
            ["no_measure", "no_target"],
            id="no target and no unit",
        ),
        pytest.param(
            {"title": "Weekly active teams from 40 to 80", "target": 80, "baseline": 40},
            ["no_owner"],
            id="no owner",
        ),
        pytest.param(
            {"title": "NPS", "target": 45, "baseline": 31, **OWNED},
            ["title_too_short", "no_measure"],
            id="title too short",
        ),
        pytest.param(
            {"title": "Weekly active teams from 40 to 80 " + "x" * 120, "target": 80, **OWNED},
            ["title_too_long"],
            id="title too long",
        ),
        pytest.param(
            {"title": "Complete the vendor security review", "kind": "milestone", **OWNED},
            ["task_not_outcome", "no_steps"],
            id="milestone without steps",
        ),
    ],
)
def test_key_result_review(draft, codes):
    assert review_key_result(draft).codes == codes


GOOD_OBJECTIVE = {
    "title": "Make onboarding effortless for new teams",
    "level": "team",
    "owner": 3,
    "period": 1,
    "parent": 7,
    "key_results": [GOOD_KR, {**GOOD_KR, "title": "Time to first value from 5 to 2 days"}],
}


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        pytest.param({}, [], id="good objective"),
        pytest.param({"level": "company", "parent": None}, [], id="company needs no parent"),
        pytest.param({"parent": None}, ["not_aligned"], id="team objective not aligned"),
        pytest.param({"period": None}, ["no_period"], id="no period"),
        pytest.param({"owner": None}, ["no_owner"], id="no owner"),
        pytest.param({"key_results": []}, ["no_key_results"], id="no key results"),
        pytest.param(
            {"key_results": [GOOD_KR] * 6}, ["too_many_key_results"], id="too many key results"
        ),
        pytest.param(
            {"title": "Improve things for customers", "key_results": []},
            ["vague_verb", "no_key_results"],
            id="vague without measurable KRs",
        ),
        pytest.param(
            {"title": "Improve things for customers"}, [], id="vague title but measured by KRs"
        ),
        pytest.param({"title": "Growth"}, ["title_too_short"], id="title too short"),
        pytest.param({"title": "Make " + "onboarding " * 12}, ["title_too_long"], id="too long"),
    ],
)
def test_objective_review(changes, codes):
    assert review_objective({**GOOD_OBJECTIVE, **changes}).codes == codes


def test_objective_review_includes_its_key_results_with_their_position():
    draft = {**GOOD_OBJECTIVE, "key_results": [GOOD_KR, {**GOOD_KR, "owner": None}]}
    review = review_objective(draft)
    assert [(f.subject, f.code) for f in review.findings] == [("key_results[1]", "no_owner")]


def test_findings_are_grouped_by_letter_with_a_suggestion():
    review = review_objective(ObjectiveDraft(title="Make onboarding effortless for new teams"))
    assert {letter: [f.code for f in found] for letter, found in review.by_letter.items()} == {
        "S": [],
        "M": ["no_key_results"],
        "A": ["no_owner"],
        "R": ["not_aligned"],
        "T": ["no_period"],
    }
    assert all(f.suggestion for f in review.findings)


def test_dataclass_draft_is_reviewed_like_a_mapping():
    draft = KeyResultDraft(title="Build the export feature", target=1, baseline=0, has_owner=True)
    assert review_key_result(draft).codes == ["task_not_outcome", "no_measure"]
