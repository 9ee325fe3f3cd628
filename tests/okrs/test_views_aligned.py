"""The objective page adds up its key results and the objectives aligned directly under it,
from the read-model rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from okrs import selectors
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def aligned(world, objective):
    KeyResultFactory(objective=objective, baseline=0, target=100, current=50, weight=1)
    child = ObjectiveFactory(
        period=objective.period, team=world.team, parent=objective, title="Team goal", weight=3
    )
    KeyResultFactory(objective=child, baseline=0, target=10, current=10)
    return child


def test_contributions_of_key_results_and_aligned_objectives_add_up(objective, aligned):
    explanation = selectors.objective_explanation(objective)
    node = explanation.node
    [kr] = node.key_results
    assert (kr.weight_share, kr.contribution) == (0.25, 0.125)
    assert node.aligned_contributions == [(aligned.pk, 0.75, 0.75)]
    assert node.basis == "key_results_and_children"
    assert node.progress == pytest.approx(kr.contribution + 0.75)


def test_the_page_shows_the_aligned_objectives_share_and_points(
    member_client, world, objective, aligned
):
    url = reverse("okrs:objective_detail", args=[world.workspace.slug, objective.pk])
    page = member_client.get(url).content.decode()
    assert f'id="aligned-{aligned.pk}"' in page
    assert "weight 3 (75.0% of this objective) · adds 75.0 pts" in page
    assert "of its key results and of the objectives aligned directly under it" in page
    assert 'id="objective-progress">88%<' in page


def test_a_child_counted_in_a_key_result_is_not_counted_again(member_client, world, objective):
    parent_kr = KeyResultFactory(objective=objective, source="children", target=100)
    child = ObjectiveFactory(
        period=objective.period, team=world.team, parent=objective, parent_key_result=parent_kr
    )
    KeyResultFactory(objective=child, baseline=0, target=10, current=4)
    url = reverse("okrs:objective_detail", args=[world.workspace.slug, objective.pk])
    page = member_client.get(url).content.decode()
    assert "counts in one of its key results" in page
    assert f'id="aligned-{child.pk}"' not in page
    assert 'id="objective-progress">40%<' in page
