"""Objective comments and period pages: creating periods, closing them with scores and
carry-over, and who may do either."""

from __future__ import annotations

from okrs import services
from okrs.models import Objective, ObjectiveComment, Period
from tests.factories.okrs import CheckInFactory
from tests.okrs.pages import okrs_url

# --- comments ----------------------------------------------------------------------------------


def test_a_member_comments_on_an_objective(member_client, objective):
    response = member_client.post(
        okrs_url("comment_add", objective_id=objective.pk), {"body": "Nice start"}
    )

    assert response.status_code == 303
    assert ObjectiveComment.objects.get().body == "Nice start"


def test_a_viewer_cannot_comment(viewer_client, objective):
    response = viewer_client.post(
        okrs_url("comment_add", objective_id=objective.pk), {"body": "Nice start"}
    )

    assert response.status_code == 403
    assert ObjectiveComment.objects.count() == 0


def test_an_empty_comment_is_422(member_client, objective):
    response = member_client.post(okrs_url("comment_add", objective_id=objective.pk), {"body": ""})

    assert response.status_code == 422
    assert ObjectiveComment.objects.count() == 0


# --- periods -----------------------------------------------------------------------------------


def test_an_admin_creates_a_period(admin_client):
    response = admin_client.post(
        okrs_url("period_new"), {"name": "2027 Q1", "start": "2027-01-01", "end": "2027-03-31"}
    )

    period = Period.objects.get()
    assert response.status_code == 303
    assert (period.name, str(period.start), str(period.end)) == (
        "2027 Q1",
        "2027-01-01",
        "2027-03-31",
    )


def test_a_period_ending_before_it_starts_is_422(admin_client):
    response = admin_client.post(
        okrs_url("period_new"), {"name": "2027 Q1", "start": "2027-03-31", "end": "2027-01-01"}
    )

    assert response.status_code == 422
    assert "The period must end after it starts." in response.content.decode()
    assert Period.objects.count() == 0


def test_a_member_cannot_create_a_period(member_client):
    response = member_client.post(
        okrs_url("period_new"), {"name": "2027 Q1", "start": "2027-01-01", "end": "2027-03-31"}
    )

    assert response.status_code == 403
    assert Period.objects.count() == 0


def test_the_close_page_previews_scores_and_offers_the_next_period(
    admin_client, key_result, next_period
):
    CheckInFactory(key_result=key_result)
    services.key_result_check_in(
        actor=key_result.objective.owner.memberships.get(), key_result=key_result, value=50
    )

    body = admin_client.get(okrs_url("period_close", period_id=key_result.objective.period_id))

    text = body.content.decode()
    assert "50%</td>" in text
    assert "Carry unfinished KRs into Next quarter" in text


def test_closing_with_carry_over_scores_and_copies_unfinished_work(
    admin_client, world, key_result, next_period
):
    period = key_result.objective.period

    response = admin_client.post(
        okrs_url("period_close", period_id=period.pk),
        {"carry_over": "on", "next_period": next_period.pk},
    )

    period.refresh_from_db()
    objective = key_result.objective
    objective.refresh_from_db()
    assert response.status_code == 303
    assert period.closed_at is not None
    assert objective.score == 0
    assert Objective.objects.get(period=next_period).carried_from == objective


def test_a_member_cannot_close_a_period(member_client, period):
    response = member_client.post(okrs_url("period_close", period_id=period.pk), {})

    period.refresh_from_db()
    assert response.status_code == 403
    assert period.closed_at is None
