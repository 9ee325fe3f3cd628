"""The one evaluator: objectives that combine their key results and aligned objectives."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okrs.progress import (
    AT_RISK,
    OFF_TRACK,
    ON_TRACK,
    KeyResultFacts,
    ObjectiveFacts,
    Part,
    Reason,
    evaluate,
    evaluate_key_result,
    evaluate_objective,
    weighted_mean,
)
from okrs.reason_words import reason_sentence

START = date(2025, 1, 1)
END = START + timedelta(days=90)
MID = START + timedelta(days=45)
STATUSES = st.sampled_from([ON_TRACK, AT_RISK, OFF_TRACK])


def objective(id: int, **changes) -> ObjectiveFacts:
    return ObjectiveFacts(id=id, period_start=START, period_end=END, **changes)


def kr(id: int, objective_id: int, current: float, **changes) -> KeyResultFacts:
    # Checked in today with good confidence: only the pace decides its status.
    return KeyResultFacts(
        id=id,
        objective_id=objective_id,
        target=100,
        current=current,
        confidence=8,
        last_check_in_on=MID,
        **changes,
    )


def test_objective_combines_its_key_results_and_aligned_objectives_by_weight():
    company = objective(1)
    team = objective(2, parent_id=1, weight=2)
    result = evaluate([company, team], [kr(10, 1, 40), kr(20, 2, 100)], today=MID)
    top = result.objectives[1]
    # (1 × 0.4 + 2 × 1.0) / 3
    assert top.progress == pytest.approx(0.8)
    assert top.basis == "key_results_and_children"
    assert top.contributions == [(10, pytest.approx(1 / 3), pytest.approx(0.4 / 3))]
    assert top.aligned == [(2, pytest.approx(2 / 3), pytest.approx(2 / 3))]
    assert top.notes == [
        Reason("progress_basis", {"key_results": 1.0, "objectives": 1.0}, [("objective", 1)])
    ]


def test_objective_with_only_aligned_objectives_takes_their_progress():
    company = objective(1)
    teams = [objective(2, parent_id=1, weight=3), objective(3, parent_id=1, weight=1)]
    result = evaluate([company, *teams], [kr(20, 2, 100), kr(30, 3, 0)], today=START)
    top = result.objectives[1]
    assert top.progress == pytest.approx(0.75)
    assert top.basis == "children"
    assert "no_key_results" not in [r.code for r in top.status.reasons]


def test_objective_without_key_results_or_aligned_objectives_is_at_risk():
    result = evaluate([objective(1)], [], today=MID).objectives[1]
    assert (result.progress, result.basis, result.status.code) == (0, "none", AT_RISK)
    assert [r.code for r in result.status.reasons] == ["no_key_results"]


def test_objective_aligned_to_a_children_kr_counts_there_and_not_twice():
    company = objective(1)
    team = objective(2, parent_id=1, parent_key_result_id=10)
    krs = [kr(10, 1, 0, source="children"), kr(11, 1, 0), kr(20, 2, 100)]
    result = evaluate([company, team], krs, today=START)
    assert result.key_results[10].progress == 1.0
    top = result.objectives[1]
    assert top.aligned == []
    assert (top.progress, top.basis) == (0.5, "key_results")


def test_archived_and_outside_period_objectives_do_not_count():
    company = objective(1)
    archived = objective(2, parent_id=1, archived=True)
    longer = ObjectiveFacts(
        id=3, period_start=START, period_end=END + timedelta(days=1), parent_id=1
    )
    krs = [kr(10, 1, 50), kr(20, 2, 100), kr(30, 3, 100)]
    top = evaluate([company, archived, longer], krs, today=START).objectives[1]
    assert (top.progress, top.aligned) == (0.5, [])


def test_an_off_track_aligned_objective_puts_its_parent_at_risk():
    company = objective(1)
    team = objective(2, parent_id=1, weight=0.01)
    # The company's own KR is done (so it is on pace); the team's is far behind.
    krs = [kr(10, 1, 100, weight=100), kr(20, 2, 0)]
    result = evaluate([company, team], krs, today=MID)
    assert result.objectives[2].status.code == OFF_TRACK
    top = result.objectives[1]
    assert top.status.code == AT_RISK
    codes = [(r.code, r.objects) for r in top.status.reasons]
    assert ("aligned_objectives_off_track", [("objective", 2)]) in codes


def test_an_at_risk_aligned_objective_is_a_note_on_an_on_track_parent():
    top = evaluate_objective(
        1,
        period_start=START,
        period_end=END,
        today=START,
        key_results=[Part(10, 1, 0.5, ON_TRACK)],
        aligned=[Part(2, 1, 0.5, AT_RISK)],
    )
    assert top.status.code == ON_TRACK
    assert [r.code for r in top.status.reasons] == ["on_pace", "aligned_objectives_at_risk"]


def test_weight_zero_aligned_objective_does_not_move_its_parent():
    top = evaluate_objective(
        1,
        period_start=START,
        period_end=END,
        today=START,
        key_results=[Part(10, 1, 0.2, ON_TRACK)],
        aligned=[Part(2, 0, 1.0, ON_TRACK)],
    )
    assert top.progress == pytest.approx(0.2)
    assert top.aligned == [(2, 0.0, 0.0)]


def test_all_zero_weights_count_every_part_equally():
    top = evaluate_objective(
        1,
        period_start=START,
        period_end=END,
        today=START,
        key_results=[Part(10, 0, 0.0, ON_TRACK)],
        aligned=[Part(2, 0, 1.0, ON_TRACK)],
    )
    assert top.progress == pytest.approx(0.5)


def test_a_parent_cycle_does_not_loop_forever():
    a, b = objective(1, parent_id=2), objective(2, parent_id=1)
    result = evaluate([a, b], [kr(10, 1, 50), kr(20, 2, 100)], today=START)
    assert set(result.objectives) == {1, 2}
    assert all(0 <= r.progress <= 1 for r in result.objectives.values())


def test_three_levels_roll_up():
    krs = [kr(30, 3, 60)]
    chain = [objective(1), objective(2, parent_id=1), objective(3, parent_id=2)]
    result = evaluate(chain, krs, today=START)
    assert [result.objectives[i].progress for i in (1, 2, 3)] == pytest.approx([0.6] * 3)


parts = st.lists(
    st.tuples(st.floats(0, 1), st.floats(0, 1000, allow_nan=False), STATUSES),
    max_size=6,
)


@given(krs=parts, aligned=parts)
def test_objective_progress_is_the_weighted_mean_of_every_part(krs, aligned):
    result = evaluate_objective(
        1,
        period_start=START,
        period_end=END,
        today=MID,
        key_results=[Part(10 + i, w, p, s) for i, (p, w, s) in enumerate(krs)],
        aligned=[Part(100 + i, w, p, s) for i, (p, w, s) in enumerate(aligned)],
    )
    assert 0 <= result.progress <= 1
    mean = weighted_mean((p, w) for p, w, _ in [*krs, *aligned])
    assert result.progress == pytest.approx(mean or 0.0, abs=1e-9)
    assert sum(share for _, share, _ in [*result.contributions, *result.aligned]) == (
        pytest.approx(1.0) if krs or aligned else 0
    )
    if any(s == OFF_TRACK for _, _, s in aligned) and result.progress < 1:
        assert result.status.code in (AT_RISK, OFF_TRACK)


@given(
    progresses=st.lists(st.floats(0, 1), min_size=1, max_size=5),
    weights=st.lists(st.floats(0, 10, allow_nan=False), min_size=5, max_size=5),
)
def test_objective_with_only_aligned_children_stays_within_them(progresses, weights):
    objectives = [objective(1)] + [
        objective(2 + i, parent_id=1, weight=weights[i]) for i in range(len(progresses))
    ]
    krs = [kr(20 + i, 2 + i, p * 100) for i, p in enumerate(progresses)]
    top = evaluate(objectives, krs, today=START).objectives[1]
    assert min(progresses) - 1e-9 <= top.progress <= max(progresses) + 1e-9
    assert top.basis == "children"


def test_evaluate_uses_the_per_node_functions():
    """`evaluate` (previews) and the rollups call the same per-node functions."""
    facts = kr(10, 1, 30)
    alone = evaluate_key_result(facts, period_start=START, period_end=END, today=MID)
    assert evaluate([objective(1)], [facts], today=MID).key_results[10] == alone


@pytest.mark.parametrize(
    ("numbers", "sentence"),
    [
        ({"key_results": 3, "objectives": 2}, "Progress from 3 key results and 2 aligned "),
        ({"key_results": 0, "objectives": 1}, "Progress from 1 aligned objective, "),
    ],
)
def test_progress_basis_says_what_was_counted(numbers, sentence):
    assert reason_sentence(Reason("progress_basis", numbers)).startswith(sentence)


def test_aligned_objectives_off_track_names_them():
    reason = Reason("aligned_objectives_off_track", {"count": 1}, [("objective", 2)])
    words = reason_sentence(reason, {("objective", 2): "Faster onboarding"})
    assert words == "Aligned objectives off track: “Faster onboarding”."
