"""Progress math: pure functions, property-tested with hypothesis."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from okrs.progress import (
    AT_RISK,
    OFF_TRACK,
    ON_TRACK,
    KeyResultFacts,
    ObjectiveFacts,
    Reason,
    Step,
    Thresholds,
    evaluate,
    expected_progress,
    key_result_status,
    milestone_progress,
    numeric_progress,
    weighted_mean,
)
from okrs.reason_words import reason_sentence

values = st.floats(-1e6, 1e6, allow_nan=False)
wide = st.floats(-1e9, 1e9, allow_nan=False)
weights = st.floats(0, 100, allow_nan=False)
START = date(2025, 1, 1)
END = START + timedelta(days=90)


@given(baseline=values, target=values, current=wide)
def test_progress_is_between_0_and_1(baseline, target, current):
    assert 0 <= numeric_progress(baseline=baseline, target=target, current=current) <= 1


# The pairs are ordered, not filtered with assume(): filtering three of four examples away
# made Hypothesis's filter_too_much health check fail now and then on a loaded machine.
@given(ends=st.tuples(values, values), currents=st.tuples(wide, wide))
def test_progress_of_an_increasing_kr_never_falls_as_current_rises(ends, currents):
    assume(ends[0] != ends[1])
    baseline, target = sorted(ends)
    low, high = sorted(currents)
    before = numeric_progress(baseline=baseline, target=target, current=low)
    after = numeric_progress(baseline=baseline, target=target, current=high)
    assert before <= after


@given(ends=st.tuples(values, values), currents=st.tuples(wide, wide))
def test_progress_of_a_decreasing_kr_never_falls_as_current_drops(ends, currents):
    assume(ends[0] != ends[1])
    target, baseline = sorted(ends)
    low, high = sorted(currents)
    at_low = numeric_progress(baseline=baseline, target=target, current=low)
    at_high = numeric_progress(baseline=baseline, target=target, current=high)
    assert at_low >= at_high


@given(baseline=values, target=values, current=wide)
def test_increasing_and_decreasing_krs_mirror_each_other(baseline, target, current):
    up = numeric_progress(baseline=baseline, target=target, current=current)
    down = numeric_progress(baseline=-baseline, target=-target, current=-current)
    assert up == down


@given(baseline=values, current=wide)
def test_target_equal_to_baseline_does_not_divide_by_zero(baseline, current):
    assert numeric_progress(baseline=baseline, target=baseline, current=current) in (0.0, 1.0)


def test_decreasing_kr_half_way_is_half():
    assert numeric_progress(baseline=200, target=100, current=150) == 0.5


def test_decreasing_kr_that_got_worse_is_zero():
    assert numeric_progress(baseline=200, target=100, current=260) == 0.0


def test_milestone_progress_is_done_weight_over_total_weight():
    steps = (Step("a", 1, True), Step("b", 3, False))
    assert milestone_progress(steps) == 0.25


def test_milestone_with_all_zero_weights_counts_steps():
    steps = (Step("a", 0, True), Step("b", 0, False))
    assert milestone_progress(steps) == 0.5


@given(st.lists(st.tuples(st.floats(0, 1), weights), max_size=20))
def test_weighted_mean_stays_within_the_values(pairs):
    mean = weighted_mean(pairs)
    if not pairs:
        assert mean is None
    else:
        assert min(v for v, _ in pairs) - 1e-9 <= mean <= max(v for v, _ in pairs) + 1e-9


def test_all_zero_weights_give_the_plain_mean():
    assert weighted_mean([(0.2, 0), (0.6, 0)]) == pytest.approx(0.4)


def test_weights_are_respected():
    assert weighted_mean([(1.0, 3), (0.0, 1)]) == 0.75


@given(
    day_a=st.integers(-100, 200),
    day_b=st.integers(-100, 200),
)
def test_expected_progress_is_monotonic_in_time(day_a, day_b):
    assume(day_a <= day_b)
    a = expected_progress(start=START, end=END, today=START + timedelta(days=day_a))
    b = expected_progress(start=START, end=END, today=START + timedelta(days=day_b))
    assert 0 <= a <= b <= 1


def test_expected_progress_is_0_before_start_and_1_after_end():
    assert expected_progress(start=START, end=END, today=START - timedelta(days=1)) == 0
    assert expected_progress(start=START, end=END, today=END + timedelta(days=1)) == 1


def _one(kr: KeyResultFacts, today: date, *more: KeyResultFacts):
    objective = ObjectiveFacts(id=1, period_start=START, period_end=END)
    return evaluate([objective], [kr, *more], today=today)


@given(krs=st.lists(st.tuples(st.floats(0, 100, allow_nan=False), weights), min_size=1, max_size=8))
def test_objective_progress_is_the_weighted_mean_of_its_key_results(krs):
    facts = [
        KeyResultFacts(id=i + 1, objective_id=1, baseline=0, target=100, current=c, weight=w)
        for i, (c, w) in enumerate(krs)
    ]
    result = _one(facts[0], START, *facts[1:]).objectives[1]
    expected = weighted_mean([(c / 100, w) for c, w in krs])
    assert result.progress == pytest.approx(expected)


def test_objective_without_key_results_is_zero_with_a_reason():
    objective = ObjectiveFacts(id=1, period_start=START, period_end=END)
    result = evaluate([objective], [], today=START).objectives[1]
    assert result.progress == 0
    assert result.status.code == AT_RISK
    assert [r.code for r in result.status.reasons] == ["no_key_results"]


def test_children_kr_takes_the_weighted_mean_of_aligned_objectives():
    parent = ObjectiveFacts(id=1, period_start=START, period_end=END)
    child_a = ObjectiveFacts(
        id=2, period_start=START, period_end=END, weight=3, parent_key_result_id=10
    )
    child_b = ObjectiveFacts(
        id=3, period_start=START, period_end=END, weight=1, parent_key_result_id=10
    )
    krs = [
        KeyResultFacts(id=10, objective_id=1, source="children"),
        KeyResultFacts(id=20, objective_id=2, current=1),
        KeyResultFacts(id=30, objective_id=3, current=0),
    ]
    result = evaluate([parent, child_a, child_b], krs, today=START)
    assert result.key_results[10].progress == 0.75
    assert result.key_results[10].basis == "children"


def test_children_kr_without_aligned_objectives_is_zero_with_a_note():
    result = _one(KeyResultFacts(id=10, objective_id=1, source="children"), START)
    assert result.key_results[10].progress == 0
    assert [n.code for n in result.key_results[10].notes] == ["no_aligned_objectives"]


def test_tasks_kr_uses_the_tasks_hook_when_given():
    kr = KeyResultFacts(id=10, objective_id=1, source="tasks", current=0, tasks_progress=0.4)
    assert _one(kr, START).key_results[10].progress == 0.4


def test_tasks_kr_falls_back_to_current_until_work_is_measured():
    kr = KeyResultFacts(id=10, objective_id=1, source="tasks", target=10, current=5)
    result = _one(kr, START).key_results[10]
    assert (result.progress, result.basis) == (0.5, "check_ins")


def test_aligned_cycle_does_not_loop_forever():
    a = ObjectiveFacts(id=1, period_start=START, period_end=END, parent_key_result_id=20)
    b = ObjectiveFacts(id=2, period_start=START, period_end=END, parent_key_result_id=10)
    krs = [
        KeyResultFacts(id=10, objective_id=1, source="children"),
        KeyResultFacts(id=20, objective_id=2, source="children"),
    ]
    result = evaluate([a, b], krs, today=START)
    assert result.objectives[1].progress == 0


MID = START + timedelta(days=45)  # half the period


def _status(**changes):
    kr = KeyResultFacts(id=12, objective_id=1, target=100, last_check_in_on=MID, **changes)
    return _one(kr, MID).key_results[12].status


def test_behind_pace_far_enough_is_off_track_with_numbers():
    status = _status(current=20)
    assert status.code == OFF_TRACK
    assert status.reasons == [
        Reason("behind_pace", {"progress": 0.2, "expected": 0.5, "gap": -0.3}, [("key_result", 12)])
    ]


def test_somewhat_behind_pace_is_at_risk():
    assert _status(current=35).code == AT_RISK


def test_on_pace_is_on_track():
    status = _status(current=55)
    assert (status.code, status.reasons[0].code) == (ON_TRACK, "on_pace")


def test_low_confidence_is_at_risk():
    status = _status(current=55, confidence=3)
    assert (status.code, [r.code for r in status.reasons]) == (AT_RISK, ["low_confidence"])


def test_stale_check_in_is_at_risk():
    kr = KeyResultFacts(
        id=12, objective_id=1, target=100, current=55, last_check_in_on=MID - timedelta(days=15)
    )
    status = _one(kr, MID).key_results[12].status
    assert status.code == AT_RISK
    assert status.reasons[0].numbers == {"days": 15, "limit": 14}


def test_stale_threshold_comes_from_workspace_settings():
    thresholds = Thresholds.from_settings({"okrs": {"stale_after_days": 30}})
    kr = KeyResultFacts(
        id=12, objective_id=1, target=100, current=55, last_check_in_on=MID - timedelta(days=15)
    )
    objective = ObjectiveFacts(id=1, period_start=START, period_end=END)
    status = evaluate([objective], [kr], today=MID, thresholds=thresholds).key_results[12].status
    assert status.code == ON_TRACK


def test_malformed_settings_fall_back_to_defaults():
    assert Thresholds.from_settings({"okrs": {"stale_after_days": "soon"}}) == Thresholds()


def test_objective_with_an_off_track_kr_is_at_risk_even_on_pace():
    good = KeyResultFacts(id=1, objective_id=1, target=100, current=100, last_check_in_on=MID)
    bad = KeyResultFacts(id=2, objective_id=1, target=100, current=10, last_check_in_on=MID)
    status = _one(good, MID, bad).objectives[1].status
    assert status.code == AT_RISK
    assert status.reasons[-1] == Reason("key_results_off_track", {"count": 1}, [("key_result", 2)])


def test_status_before_the_period_starts_is_on_track():
    status = key_result_status(
        kr=KeyResultFacts(id=1, objective_id=1),
        progress=0,
        expected=0,
        today=START - timedelta(days=3),
        period_start=START,
        period_end=END,
    )
    assert [r.code for r in status.reasons] == ["period_not_started"]


def test_reason_sentence_of_behind_pace():
    reason = Reason("behind_pace", {"progress": 0.31, "expected": 0.55, "gap": -0.24})
    assert reason_sentence(reason) == (
        "Progress is 31% but 55% of the period has passed (24 points behind pace)."
    )


def test_reason_sentence_names_objects_when_given_names():
    reason = Reason("key_results_off_track", {"count": 1}, [("key_result", 2)])
    sentence = reason_sentence(reason, {("key_result", 2): "Cut churn to 3%"})
    assert sentence == "Off track: “Cut churn to 3%”."


@pytest.mark.parametrize(
    "code",
    [
        "on_pace",
        "slightly_behind",
        "low_confidence",
        "stale_check_in",
        "never_checked_in",
        "target_reached",
        "period_not_started",
        "no_key_results",
        "key_results_at_risk",
        "no_aligned_objectives",
        "tasks_not_measured",
        "aligned_objectives_off_track",
        "aligned_objectives_at_risk",
        "progress_basis",
    ],
)
def test_every_reason_code_has_a_sentence(code):
    numbers = {
        "progress": 0.5,
        "expected": 0.5,
        "gap": 0.0,
        "confidence": 3,
        "days": 20,
        "limit": 14,
        "count": 2,
        "key_results": 3,
        "objectives": 2,
    }
    sentence = reason_sentence(Reason(code, numbers))
    assert sentence.endswith(".")
    assert "_" not in sentence
