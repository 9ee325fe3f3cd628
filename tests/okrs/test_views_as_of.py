"""OKR pages say when their numbers were computed ("as of"), from the read-model rows."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import dateformat

from readmodel.models import Rollup

pytestmark = pytest.mark.django_db


def _stamp(kind: str, node_id: int) -> str:
    return dateformat.format(Rollup.objects.get(kind=kind, node_id=node_id).computed_at, "j M, H:i")


def test_the_objective_page_says_as_of_when(member_client, world, objective, key_result):
    url = reverse("okrs:objective_detail", args=[world.workspace.slug, objective.pk])
    page = member_client.get(url).content.decode()
    assert f"as of {_stamp('objective', objective.pk)}</span>" in page
    assert f'title="as of {_stamp("key_result", key_result.pk)}">0%<' in page


def test_the_tree_says_as_of_its_oldest_number(member_client, world, objective, key_result):
    url = reverse("okrs:tree", args=[world.workspace.slug])
    page = member_client.get(url).content.decode()
    oldest = min(
        Rollup.objects.filter(workspace=world.workspace, kind__in=["objective", "key_result"]),
        key=lambda r: r.computed_at,
    )
    assert f"· as of {dateformat.format(oldest.computed_at, 'j M, H:i')}</span>" in page
