"""Demo OKRs: the shape the pages need, and a second run that changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from alignment.demo import seed_company
from okrs import selectors
from okrs.demo import quarter_of, seed_okrs
from okrs.models import CheckIn, KeyResult, Objective, Period

pytestmark = pytest.mark.django_db
TODAY = date(2026, 5, 20)


def _seed():
    company = seed_company()
    seed_okrs(workspace=company.workspace, teams=company.teams, people=company.people, today=TODAY)
    return company


def _rows():
    return [
        list(model.objects.order_by("pk").values())
        for model in (Period, Objective, KeyResult, CheckIn)
    ]


def test_demo_has_a_closed_last_quarter_and_a_current_one():
    _seed()
    periods = {p.name: p.is_closed for p in Period.objects.all()}
    assert periods == {"Q1 2026": True, "Q2 2026": False}


def test_demo_tree_sizes_and_kinds():
    _seed()
    assert 10 <= Objective.objects.count() <= 20
    assert 30 <= KeyResult.objects.count() <= 60
    kinds = set(KeyResult.objects.values_list("kind", flat=True))
    assert kinds == {"number", "percentage", "currency", "boolean", "milestone"}


def test_demo_current_quarter_shows_every_status():
    company = _seed()
    period = Period.objects.get(name="Q2 2026")
    tree = selectors.objective_tree_for_period(company.workspace, period, today=TODAY)
    statuses = {kr.status.code for node in tree.walk() for kr in node.key_results}
    assert statuses == {"on_track", "at_risk", "off_track"}


def test_second_demo_run_changes_nothing():
    _seed()
    before = _rows()
    _seed()
    assert _rows() == before


@pytest.mark.parametrize(
    ("day", "bounds"),
    [
        (date(2026, 1, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        (date(2026, 11, 30), (date(2026, 10, 1), date(2026, 12, 31))),
    ],
)
def test_quarter_of(day, bounds):
    assert quarter_of(day) == bounds
