"""Periods do not share days unless one of the two says so, with a reason: service, page, API."""

from __future__ import annotations

import json
from datetime import date

import pytest

from alignment.errors import FieldErrors
from alignment.models import AuditEvent
from okrs import services
from okrs.errors import PeriodOverlap
from okrs.models import Period
from tests.factories.okrs import PeriodFactory
from tests.okrs.pages import okrs_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def q1(world) -> Period:
    return PeriodFactory(
        workspace=world.workspace, name="2027 Q1", start=date(2027, 1, 1), end=date(2027, 3, 31)
    )


def test_a_period_sharing_days_with_another_is_refused_naming_it(world, q1):
    with pytest.raises(PeriodOverlap) as caught:
        services.period_create(
            actor=world.admin, name="Spring", start=date(2027, 3, 1), end=date(2027, 5, 31)
        )

    assert caught.value.status == 409
    assert caught.value.text.startswith("Spring would overlap 2027 Q1 (1 Jan 2027 – 31 Mar 2027).")
    assert caught.value.fields == {"start": [caught.value.text]}
    assert list(Period.objects.values_list("name", flat=True)) == ["2027 Q1"]


def test_sharing_only_the_last_day_is_an_overlap(world, q1):
    # Dates are inclusive: a period starting on Q1's last day shares that day with it.
    with pytest.raises(PeriodOverlap):
        services.period_create(
            actor=world.admin, name="2027 Q2", start=date(2027, 3, 31), end=date(2027, 6, 30)
        )


def test_the_next_day_is_not_an_overlap(world, q1):
    period = services.period_create(
        actor=world.admin, name="2027 Q2", start=date(2027, 4, 1), end=date(2027, 6, 30)
    )

    assert period.pk is not None


def test_a_year_marked_as_overlapping_on_purpose_is_accepted_and_audited(world, q1):
    year = services.period_create(
        actor=world.admin,
        name="2027",
        start=date(2027, 1, 1),
        end=date(2027, 12, 31),
        allows_overlap=True,
        overlap_reason="  The company's goals for the year  ",
    )

    assert (year.allows_overlap, year.overlap_reason) == (True, "The company's goals for the year")
    after = AuditEvent.objects.get(verb="period.created", object_id=str(year.pk)).after
    assert (after["allows_overlap"], after["overlap_reason"]) == (
        True,
        "The company's goals for the year",
    )


def test_a_quarter_inside_a_year_that_allows_overlap_is_accepted(world):
    PeriodFactory(
        workspace=world.workspace,
        name="2027",
        start=date(2027, 1, 1),
        end=date(2027, 12, 31),
        allows_overlap=True,
        overlap_reason="Yearly goals",
    )

    quarter = services.period_create(
        actor=world.admin, name="2027 Q1", start=date(2027, 1, 1), end=date(2027, 3, 31)
    )

    assert quarter.allows_overlap is False


def test_overlap_without_a_reason_is_a_field_error(world, q1):
    with pytest.raises(FieldErrors) as caught:
        services.period_create(
            actor=world.admin,
            name="2027",
            start=date(2027, 1, 1),
            end=date(2027, 12, 31),
            allows_overlap=True,
            overlap_reason="   ",
        )

    assert list(caught.value.fields) == ["overlap_reason"]
    assert Period.objects.count() == 1


def test_moving_a_period_onto_another_is_refused(world, q1):
    q2 = PeriodFactory(
        workspace=world.workspace, name="2027 Q2", start=date(2027, 4, 1), end=date(2027, 6, 30)
    )

    with pytest.raises(PeriodOverlap) as caught:
        services.period_update(actor=world.admin, period=q2, start=date(2027, 3, 15))

    assert "2027 Q1" in caught.value.text
    q2.refresh_from_db()
    assert q2.start == date(2027, 4, 1)


def test_turning_overlap_off_while_overlapping_is_refused(world, q1):
    year = PeriodFactory(
        workspace=world.workspace,
        name="2027",
        start=date(2027, 1, 1),
        end=date(2027, 12, 31),
        allows_overlap=True,
        overlap_reason="Yearly goals",
    )

    with pytest.raises(PeriodOverlap):
        services.period_update(actor=world.admin, period=year, allows_overlap=False)
    year.refresh_from_db()
    assert year.allows_overlap is True


def test_another_workspaces_periods_do_not_count(world, world_b):
    PeriodFactory(
        workspace=world_b.workspace, name="Q1", start=date(2027, 1, 1), end=date(2027, 3, 31)
    )

    period = services.period_create(
        actor=world.admin, name="Q1", start=date(2027, 1, 1), end=date(2027, 3, 31)
    )

    assert period.workspace == world.workspace


def test_the_page_shows_the_overlap_on_the_form_with_422(admin_client, q1):
    response = admin_client.post(
        okrs_url("period_new"), {"name": "Spring", "start": "2027-03-01", "end": "2027-05-31"}
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert "Spring would overlap 2027 Q1 (1 Jan 2027 – 31 Mar 2027)." in body
    assert "This period overlaps other periods on purpose" in body
    assert Period.objects.count() == 1


def test_the_page_creates_an_overlapping_period_with_a_reason(admin_client, q1):
    response = admin_client.post(
        okrs_url("period_new"),
        {
            "name": "2027",
            "start": "2027-01-01",
            "end": "2027-12-31",
            "allows_overlap": "on",
            "overlap_reason": "Yearly goals",
        },
    )

    assert response.status_code == 303
    listing = admin_client.get(okrs_url("periods")).content.decode()
    assert "Overlaps on purpose" in listing
    assert "Yearly goals" in listing


def test_the_api_answers_409_period_overlap(admin_api, world, q1):
    response = admin_api.post(
        f"/api/v1/workspaces/{world.workspace.slug}/periods/",
        json.dumps({"name": "Spring", "start": "2027-03-01", "end": "2027-05-31"}),
        content_type="application/json",
    )

    error = response.json()["error"]
    assert response.status_code == 409
    assert error["code"] == "period_overlap"
    assert "2027 Q1" in error["message"]
    assert error["fields"] == {"start": [error["message"]]}


def test_the_api_accepts_and_shows_an_explicit_overlap(admin_api, world, q1):
    response = admin_api.post(
        f"/api/v1/workspaces/{world.workspace.slug}/periods/",
        json.dumps(
            {
                "name": "2027",
                "start": "2027-01-01",
                "end": "2027-12-31",
                "allows_overlap": True,
                "overlap_reason": "Yearly goals",
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert (response.json()["allows_overlap"], response.json()["overlap_reason"]) == (
        True,
        "Yearly goals",
    )
