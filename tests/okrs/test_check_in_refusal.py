"""Key results fed by linked work or aligned objectives refuse check-ins that carry a value.

A value would contradict the number the work measures (a check-in of 90 stored while the
progress stays 48%), so the service refuses it with 409 `check_in_not_accepted`; the API and
the pages both go through it. Confidence and a note without a value stay welcome.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from okrs import services
from okrs.errors import CheckInNotAccepted
from okrs.models import CheckIn, KeyResult, KeyResultKind, KeyResultSource, Objective
from okrs.services.key_results import progress_is_measured
from tests.conftest import World
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory


@pytest.fixture
def objective(world: World) -> Objective:
    period = PeriodFactory(workspace=world.workspace, name="Q2")
    return ObjectiveFactory(period=period, team=world.team, title="Ship the planner")


def _kr(objective: Objective, source: str, **extra: object) -> KeyResult:
    values = {"baseline": Decimal(0), "target": Decimal(100), "current": Decimal(0), **extra}
    return KeyResultFactory(objective=objective, title=f"Fed by {source}", source=source, **values)


@pytest.fixture
def tasks_kr(objective: Objective) -> KeyResult:
    return _kr(objective, KeyResultSource.TASKS)


@pytest.fixture
def children_kr(objective: Objective) -> KeyResult:
    return _kr(objective, KeyResultSource.CHILDREN)


def _unchanged(kr: KeyResult) -> tuple[Decimal, int, int]:
    kr.refresh_from_db()
    return kr.current, kr.version, CheckIn.objects.filter(key_result=kr).count()


@pytest.mark.parametrize("source", [KeyResultSource.TASKS, KeyResultSource.CHILDREN])
def test_the_service_refuses_a_value_on_a_measured_key_result(
    world: World, objective: Objective, source: str
) -> None:
    kr = _kr(objective, source)
    before = _unchanged(kr)
    with pytest.raises(CheckInNotAccepted) as refused:
        services.key_result_check_in(actor=world.member, key_result=kr, value=90)
    assert refused.value.status == 409
    assert "takes its progress from" in refused.value.text
    assert _unchanged(kr) == before


def test_a_confidence_only_check_in_is_recorded_on_a_tasks_fed_key_result(
    world: World, tasks_kr: KeyResult
) -> None:
    check_in = services.key_result_check_in(
        actor=world.member, key_result=tasks_kr, confidence=3, note="Blocked on the API"
    )
    tasks_kr.refresh_from_db()
    assert (check_in.value, check_in.confidence, check_in.note) == (0, 3, "Blocked on the API")
    assert tasks_kr.current == 0  # the value is untouched: the work measures progress
    assert tasks_kr.confidence == 3


def test_done_not_done_results_keep_their_check_ins_whatever_their_source(
    world: World, objective: Objective
) -> None:
    kr = _kr(objective, KeyResultSource.TASKS, kind=KeyResultKind.BOOLEAN, target=Decimal(1))
    assert not progress_is_measured(kr)  # its progress is done/not done, from its value
    services.key_result_check_in(actor=world.member, key_result=kr, value=1)
    kr.refresh_from_db()
    assert kr.current == 1


@pytest.mark.parametrize("source", [KeyResultSource.TASKS, KeyResultSource.CHILDREN])
def test_the_api_answers_409_with_the_error_body_and_stores_nothing(
    world: World, member_api, objective: Objective, source: str
) -> None:
    kr = _kr(objective, source)
    before = _unchanged(kr)
    url = f"/api/v1/workspaces/{world.workspace.slug}/key-results/{kr.pk}/check-ins/"
    response = member_api.post(
        url, json.dumps({"value": 90, "confidence": 6}), content_type="application/json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "check_in_not_accepted"
    assert "check-ins with a value are not accepted" in error["message"]
    assert _unchanged(kr) == before


def test_the_api_records_confidence_without_a_value(
    world: World, member_api, tasks_kr: KeyResult
) -> None:
    url = f"/api/v1/workspaces/{world.workspace.slug}/key-results/{tasks_kr.pk}/check-ins/"
    response = member_api.post(
        url, json.dumps({"confidence": 8, "note": "On it"}), content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["confidence"] == 8
    tasks_kr.refresh_from_db()
    assert (tasks_kr.current, tasks_kr.confidence) == (0, 8)


def test_the_check_in_page_refuses_a_value_with_409(
    world: World, member_client, tasks_kr: KeyResult
) -> None:
    """A page opened while the KR still took values posts one: refused, nothing stored."""
    before = _unchanged(tasks_kr)
    url = reverse("okrs:key_result_check_in", args=[world.workspace.slug, tasks_kr.pk])
    response = member_client.post(url, {"value": "90", "confidence": "6"})
    assert response.status_code == 409
    assert "check-ins with a value are not accepted" in response.content.decode()
    assert _unchanged(tasks_kr) == before


def test_the_htmx_check_in_refusal_is_a_flash_message(
    world: World, member_client, children_kr: KeyResult
) -> None:
    url = reverse("okrs:key_result_check_in", args=[world.workspace.slug, children_kr.pk])
    response = member_client.post(url, {"value": "90", "confidence": "6"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#flash"
    assert "the objectives aligned under it" in response.content.decode()


def test_the_check_in_page_of_a_measured_kr_asks_only_confidence_and_a_note(
    world: World, member_client, tasks_kr: KeyResult
) -> None:
    url = reverse("okrs:key_result_check_in", args=[world.workspace.slug, tasks_kr.pk])
    page = member_client.get(url).content.decode()
    assert "Update confidence: Fed by tasks" in page
    assert 'name="confidence"' in page
    assert 'name="note"' in page
    assert 'name="value"' not in page
    response = member_client.post(url, {"confidence": "4", "note": "Scope grew"})
    assert response.status_code == 303
    tasks_kr.refresh_from_db()
    assert (tasks_kr.confidence, tasks_kr.current) == (4, 0)


def test_the_objective_page_offers_no_check_in_on_measured_key_results(
    world: World, member_client, objective: Objective, tasks_kr: KeyResult
) -> None:
    manual = _kr(objective, KeyResultSource.MANUAL)
    page = member_client.get(objective.get_absolute_url()).content.decode()
    check_in = reverse("okrs:key_result_check_in", args=[world.workspace.slug, manual.pk])
    fed = reverse("okrs:key_result_check_in", args=[world.workspace.slug, tasks_kr.pk])
    assert f'href="{check_in}" data-dialog="check-in-{manual.pk}">Check in</a>' in page
    assert f"Check in: {tasks_kr.title}" not in page
    assert f'id="id_kr{tasks_kr.pk}_value"' not in page  # no value input in its dialog
    assert f'href="{fed}" data-dialog="check-in-{tasks_kr.pk}"' in page
    assert f"Update confidence: {tasks_kr.title}" in page


def test_a_viewer_is_refused_with_403_before_the_source_is_considered(
    world: World, viewer_api, tasks_kr: KeyResult
) -> None:
    url = f"/api/v1/workspaces/{world.workspace.slug}/key-results/{tasks_kr.pk}/check-ins/"
    response = viewer_api.post(url, json.dumps({"value": 90}), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_required"


def test_the_api_docs_say_measured_key_results_refuse_values() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    post = next(
        operations["post"]
        for path, operations in schema["paths"].items()
        if path.endswith("/key-results/{id}/check-ins/")
    )
    assert "check_in_not_accepted" in post["responses"]["409"]["description"]
    assert "`source` `tasks`" in post["description"]
    explanation = next(
        operations["get"]
        for path, operations in schema["paths"].items()
        if path.endswith("/key-results/{key_result_id}/explanation/")
    )
    assert explanation["summary"] == "What a key result's progress is made of, down to the tasks"
