"""The key result form previews its unsaved values with the rollups' evaluator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from okrs.models import Period
from tests.factories.okrs import ObjectiveFactory, PeriodFactory


def review_url(world, objective=None, key_result=None) -> str:
    url = f"/w/{world.workspace.slug}/okrs/key-results/review/"
    if key_result is not None:
        return f"{url}?key_result={key_result.pk}"
    return f"{url}?objective={objective.pk}"


def draft(**values):
    return {"title": "Raise activation to 60%", "kind": "percentage", "source": "manual", **values}


@pytest.fixture
def half_done_objective(world):
    # Half of a 20-day period has passed: 50% is the expected pace today.
    today = timezone.localdate()
    period = PeriodFactory(
        workspace=world.workspace, start=today - timedelta(days=10), end=today + timedelta(days=10)
    )
    return ObjectiveFactory(period=period, team=world.team)


def test_the_preview_shows_progress_expected_pace_and_status_of_the_draft(
    world, member_client, half_done_objective
):
    response = member_client.post(
        review_url(world, half_done_objective),
        draft(baseline="0", target="200", current="50"),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong data-preview-percent>25%</strong>" in html
    assert "50% expected by today" in html
    assert "Off track" in html  # 25 points behind pace, past the default 25-point gap


def test_the_preview_follows_the_workspaces_thresholds(world, member_client, half_done_objective):
    world.workspace.settings = {"okrs": {"at_risk_gap": 0.3, "off_track_gap": 0.5}}
    world.workspace.save()

    response = member_client.post(
        review_url(world, half_done_objective), draft(baseline="0", target="200", current="50")
    )

    assert "On track" in response.content.decode()


def test_editing_previews_the_new_target_against_the_saved_value(world, member_client, key_result):
    key_result.current = 50
    key_result.save()

    response = member_client.post(
        review_url(world, key_result=key_result), draft(baseline="40", target="90")
    )

    assert "<strong data-preview-percent>20%</strong>" in response.content.decode()


def test_a_measured_key_result_says_its_number_is_not_typed(
    world, member_client, half_done_objective
):
    response = member_client.post(
        review_url(world, half_done_objective), draft(source="tasks", baseline="0", target="1")
    )

    assert "Progress will be measured" in response.content.decode()
    assert "data-preview-percent" not in response.content.decode()


def test_without_a_target_the_preview_says_what_to_fill_in(
    world, member_client, half_done_objective
):
    response = member_client.post(review_url(world, half_done_objective), draft(baseline="0"))

    assert "Fill in the baseline and target" in response.content.decode()


def test_another_workspaces_objective_is_404(world, world_b, member_client):
    foreign = ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace), team=world_b.team)

    response = member_client.post(review_url(world, foreign), draft(baseline="0", target="1"))

    assert response.status_code == 404
    assert Period.objects.filter(workspace=world_b.workspace).count() == 1


def test_the_form_page_carries_the_objective_in_its_review_address(
    world, member_client, half_done_objective
):
    response = member_client.get(
        f"/w/{world.workspace.slug}/okrs/objectives/{half_done_objective.pk}/key-results/new/"
    )

    assert response.status_code == 200
    assert (
        f"/okrs/key-results/review/?objective={half_done_objective.pk}" in response.content.decode()
    )
