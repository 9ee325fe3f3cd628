"""Two tabs saving a person's first layout at the same moment: both land, the later wins."""

from __future__ import annotations

import pytest
from django.db.models import QuerySet

from alignment.errors import StaleVersion
from dashboards import layouts
from dashboards.models import DashboardLayout

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_tab_creates_first(monkeypatch, world):
    """Our read sees no row, but the other tab's row is there by the time we insert."""
    DashboardLayout.objects.create(
        workspace=world.workspace,
        dashboard="team",
        team=world.team,
        user=world.member.user,
        widgets=["sprint"],
        updated_by=world.member.user,
    )
    real_first = QuerySet.first
    calls = {"n": 0}

    def first_read_misses(queryset):
        if queryset.model is DashboardLayout:
            calls["n"] += 1
            if calls["n"] == 1:
                return None
        return real_first(queryset)

    monkeypatch.setattr(QuerySet, "first", first_read_misses)
    return calls


def test_a_first_save_racing_another_tab_updates_its_row(world, other_tab_creates_first):
    saved = layouts.layout_save(
        actor=world.member, dashboard="team", team=world.team, widgets=["burnup"]
    )
    [row] = DashboardLayout.objects.filter(user=world.member.user, dashboard="team")
    assert row.pk == saved.pk
    assert (row.widgets, row.version) == (["burnup"], 2)


def test_insisting_on_creating_is_refused_when_the_other_tab_won(world, other_tab_creates_first):
    with pytest.raises(StaleVersion):
        layouts.layout_save(
            actor=world.member,
            dashboard="team",
            team=world.team,
            widgets=["burnup"],
            expected_version=0,
        )
    [row] = DashboardLayout.objects.filter(user=world.member.user, dashboard="team")
    assert row.widgets == ["sprint"]
