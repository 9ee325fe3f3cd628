"""How an objective counts where it is aligned: weight and parent key result, set in the
objective form and the API, validated with clear messages, audited and versioned."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from alignment.errors import FieldErrors
from alignment.models import AuditEvent
from okrs import services
from okrs.models import KeyResult, Objective
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.okrs.pages import okrs_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def rolls_up(company_objective: Objective) -> KeyResult:
    """A key result of the company objective measured by the objectives aligned to it."""
    return KeyResultFactory(objective=company_objective, title="Teams deliver", source="children")


def url(world, path):
    return f"/api/v1/workspaces/{world.workspace.slug}/{path}"


def send(client, method, path, body):
    return client.generic(method, path, json.dumps(body), content_type="application/json")


# ---- service -------------------------------------------------------------------------------


def test_a_key_result_not_measured_by_aligned_objectives_is_refused(
    world, objective, company_objective
):
    manual = KeyResultFactory(objective=company_objective, title="NPS to 45")
    with pytest.raises(FieldErrors) as refused:
        services.objective_reparent(
            actor=world.member, objective=objective, parent=None, parent_key_result=manual
        )
    assert "“NPS to 45” is measured by check-ins" in refused.value.fields["parent_key_result"][0]
    objective.refresh_from_db()
    assert (objective.parent_id, objective.parent_key_result_id, objective.version) == (
        None,
        None,
        1,
    )


def test_a_key_result_of_another_objective_than_the_parent_is_refused(
    world, objective, company_objective, period
):
    elsewhere = KeyResultFactory(
        objective=ObjectiveFactory(period=period, title="Elsewhere"), source="children"
    )
    with pytest.raises(FieldErrors) as refused:
        services.objective_update(
            actor=world.member,
            objective=objective,
            parent=company_objective,
            parent_key_result=elsewhere,
        )
    message = refused.value.fields["parent_key_result"][0]
    assert message.startswith(f"Pick a key result of “{company_objective.title}”")


def test_realigning_elsewhere_drops_the_old_parents_key_result(
    world, objective, company_objective, rolls_up, period
):
    services.objective_reparent(
        actor=world.member, objective=objective, parent=None, parent_key_result=rolls_up
    )
    other = ObjectiveFactory(period=period, title="Other parent")
    moved = services.objective_update(actor=world.member, objective=objective, parent=other)
    assert (moved.parent_id, moved.parent_key_result_id) == (other.pk, None)


# ---- form ----------------------------------------------------------------------------------


def edit_data(objective: Objective, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": objective.title,
        "description": objective.description,
        "period": objective.period_id,
        "level": objective.level,
        "team": objective.team_id or "",
        "owner": objective.owner_id or "",
        "parent": objective.parent_id or "",
        "parent_key_result": objective.parent_key_result_id or "",
        "status": objective.status,
        "weight": str(objective.weight),
        "version": objective.version,
    }
    data.update(changes)
    return data


def test_the_form_offers_only_key_results_measured_by_aligned_objectives(
    member_client, objective, company_objective, rolls_up
):
    KeyResultFactory(objective=company_objective, title="NPS to 45")
    body = member_client.get(okrs_url("objective_edit", objective_id=objective.pk)).content
    page = body.decode()
    assert f'<option value="{rolls_up.pk}"' in page
    assert "NPS to 45" not in page
    assert "0 keeps it aligned without counting" in page


def test_the_form_aligns_through_a_key_result_and_sets_the_weight(
    member_client, world, objective, company_objective, rolls_up
):
    response = member_client.post(
        okrs_url("objective_edit", objective_id=objective.pk),
        edit_data(
            objective, parent=company_objective.pk, parent_key_result=rolls_up.pk, weight="2.5"
        ),
    )
    assert response.status_code == 303
    objective.refresh_from_db()
    assert (objective.parent_id, objective.parent_key_result_id) == (
        company_objective.pk,
        rolls_up.pk,
    )
    assert (objective.weight, objective.version) == (Decimal("2.50"), 2)
    entry = AuditEvent.objects.filter(verb="objective.updated").latest("id")
    assert entry.after["parent_key_result"] == rolls_up.pk
    assert entry.after["weight"] == "2.50"


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("-1", "A weight cannot be negative: use 0 to keep it aligned without counting."),
        ("NaN", "Enter a weight as a number, e.g. 1 or 0.5."),
        ("Infinity", "Enter a weight as a number, e.g. 1 or 0.5."),
        ("10000", "Use a weight of at most 9999.99."),
    ],
)
def test_a_weight_that_is_not_a_finite_non_negative_number_is_422(
    member_client, objective, weight, message
):
    response = member_client.post(
        okrs_url("objective_edit", objective_id=objective.pk), edit_data(objective, weight=weight)
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    objective.refresh_from_db()
    assert (objective.weight, objective.version) == (Decimal("1.00"), 1)


def test_the_form_refuses_a_key_result_of_another_objective(
    member_client, objective, company_objective, period
):
    parent = ObjectiveFactory(period=period, title="Grow revenue")
    other = KeyResultFactory(objective=company_objective, source="children")
    response = member_client.post(
        okrs_url("objective_edit", objective_id=objective.pk),
        edit_data(objective, parent=parent.pk, parent_key_result=other.pk),
    )
    assert response.status_code == 422
    assert "Pick a key result of “Grow revenue”" in response.content.decode()
    objective.refresh_from_db()
    assert (objective.parent_id, objective.version) == (None, 1)


# ---- API -----------------------------------------------------------------------------------


def test_the_api_sets_weight_and_parent_key_result(
    member_api, world, objective, company_objective, rolls_up
):
    response = send(
        member_api,
        "PATCH",
        url(world, f"objectives/{objective.pk}/"),
        {"parent_key_result": rolls_up.pk, "weight": "0.5"},
    )
    assert response.status_code == 200, response.content
    objective.refresh_from_db()
    assert (objective.parent_id, objective.parent_key_result_id, objective.weight) == (
        company_objective.pk,
        rolls_up.pk,
        Decimal("0.50"),
    )


@pytest.mark.parametrize("weight", ["-0.01", "NaN", "Infinity", "10000"])
def test_the_api_refuses_a_bad_weight_with_the_field_message(member_api, world, objective, weight):
    response = send(
        member_api, "PATCH", url(world, f"objectives/{objective.pk}/"), {"weight": weight}
    )
    assert response.status_code == 400  # the request's shape, before any service rule
    [message] = response.json()["error"]["fields"]["weight"]
    assert message in (
        "Use a weight between 0 and 9999.99 (0 keeps it aligned without counting).",
        "Enter a weight as a finite number, e.g. 1 or 0.5.",
    )
    objective.refresh_from_db()
    assert objective.version == 1


def test_the_api_refuses_a_parent_key_result_not_measured_by_aligned_objectives(
    member_api, world, objective, company_objective
):
    manual = KeyResultFactory(objective=company_objective, title="NPS to 45")
    response = send(
        member_api,
        "POST",
        url(world, "objectives/"),
        {
            "period": objective.period_id,
            "title": "Ship faster",
            "team": world.team.pk,
            "parent_key_result": manual.pk,
        },
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["parent_key_result"]
    assert not Objective.objects.filter(title="Ship faster").exists()
