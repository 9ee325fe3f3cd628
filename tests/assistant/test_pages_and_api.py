"""The assistant's pages and API: roles, tenancy, accepting a draft, the switch and the log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assistant.models import AssistantLog, AssistantSettings, Outcome
from okrs.models import KeyResult, Objective
from tests.conftest import api_client_for
from tests.factories.okrs import ObjectiveFactory, PeriodFactory


def _url(world, name, **kwargs):
    return reverse(f"assistant:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


def _api(world, name, **kwargs):
    return reverse(f"api-assistant-{name}", kwargs={"slug": world.workspace.slug, **kwargs})


@pytest.fixture
def period(world):
    return PeriodFactory(workspace=world.workspace, name="This quarter")


def test_viewers_are_not_shown_the_generator_form(world, viewer_client):
    assert viewer_client.get(_url(world, "draft")).status_code == 403


def test_a_member_drafts_edits_and_accepts(world, member_client, period):
    page = member_client.get(_url(world, "draft"))
    assert page.status_code == 200
    assert b"What do you want to achieve?" in page.content
    drafted = member_client.post(
        _url(world, "draft"), {"action": "draft", "sentence": "Make onboarding effortless"}
    )
    assert drafted.status_code == 200
    assert b"Accept and create" in drafted.content
    response = member_client.post(
        _url(world, "draft"),
        {
            "action": "accept",
            "sentence": "Make onboarding effortless",
            "title": "Make onboarding effortless for new teams",
            "period": period.pk,
            "team": world.team.pk,
            "kr-0-keep": "on",
            "kr-0-title": "Time to first value from 5 to 3 days",
            "kr-0-kind": "number",
            "kr-0-baseline": "5",
            "kr-0-target": "3",
            "kr-0-unit": "days",
            "kr-1-keep": "on",
            "kr-1-title": "Activation rate from 30% to 45%",
            "kr-1-kind": "percentage",
            "kr-1-baseline": "30",
            "kr-1-target": "45",
            "kr-1-unit": "%",
            "kr-2-title": "Dropped because not kept from 1 to 2",
            "kr-2-kind": "number",
            "kr-2-baseline": "1",
            "kr-2-target": "2",
            "kr-2-unit": "x",
        },  # fmt: skip
    )
    assert response.status_code == 303
    objective = Objective.objects.get(title="Make onboarding effortless for new teams")
    assert response["Location"].endswith(f"/okrs/objectives/{objective.pk}/")
    assert objective.owner == world.member.user
    assert objective.team == world.team
    krs = list(objective.key_results.order_by("position"))
    assert [(k.title, k.kind, float(k.baseline), float(k.target), k.unit) for k in krs] == [
        ("Time to first value from 5 to 3 days", "number", 5.0, 3.0, "days"),
        ("Activation rate from 30% to 45%", "percentage", 30.0, 45.0, "%"),
    ]
    assert all(k.owner == world.member.user for k in krs)


def test_an_edit_that_fails_the_smart_review_is_refused_on_the_page(world, member_client, period):
    response = member_client.post(
        _url(world, "draft"),
        {
            "action": "accept",
            "sentence": "x",
            "title": "Make onboarding effortless",
            "period": period.pk,
            "kr-0-keep": "on",
            "kr-0-title": "Improve onboarding",
            "kr-0-kind": "number",
            "kr-0-baseline": "1",
            "kr-0-target": "1",
            "kr-0-unit": "",
        },  # fmt: skip
    )
    assert response.status_code == 422
    assert "does not pass the SMART review" in response.content.decode()
    assert not Objective.objects.filter(title="Make onboarding effortless").exists()


def test_the_api_drafts_and_accepts(world, period):
    api = api_client_for(world.member)
    draft = api.post(
        _api(world, "drafts"), {"sentence": "Ship faster"}, content_type="application/json"
    )
    assert draft.status_code == 200
    body = draft.json()
    assert body["source"] == "offline"
    assert 3 <= len(body["key_results"]) <= 5
    accepted = api.post(
        _api(world, "accept"),
        {
            "period": period.pk,
            "team": world.team.pk,
            "title": "Ship faster with confidence",
            "key_results": body["key_results"],
        },
        content_type="application/json",
    )
    assert accepted.status_code == 201, accepted.content
    objective = Objective.objects.get(pk=accepted.json()["id"])
    assert objective.key_results.count() == len(body["key_results"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sentence": ""}, "sentence"),
        ({}, "sentence"),
    ],
)
def test_bad_draft_input_is_a_clear_4xx(world, body, field):
    response = api_client_for(world.member).post(
        _api(world, "drafts"), body, content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert field in response.content.decode()


def test_accepting_with_another_workspaces_period_is_refused(world, world_b):
    other = PeriodFactory(workspace=world_b.workspace)
    response = api_client_for(world.member).post(
        _api(world, "accept"),
        {
            "period": other.pk,
            "title": "Ship faster with confidence",
            "key_results": [
                {
                    "title": "Deploys per week from 2 to 10",
                    "kind": "number",
                    "baseline": 2,
                    "target": 10,
                    "unit": "deploys",
                }
            ],
        },  # fmt: skip
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "period" in response.json()["error"]["fields"]
    assert KeyResult.objects.count() == 0


def test_viewers_cannot_draft_over_the_api(world):
    response = api_client_for(world.viewer).post(
        _api(world, "drafts"), {"sentence": "Ship faster"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_summary_pages_link_every_sentence_to_its_records(world, viewer_client, period):
    objective = ObjectiveFactory(period=period, team=world.team, title="Delight new customers")
    page = viewer_client.get(_url(world, "objective", objective_id=objective.pk))
    assert page.status_code == 200
    assert (
        f'href="/w/{world.workspace.slug}/okrs/objectives/{objective.pk}/"' in page.content.decode()
    )
    assert viewer_client.get(_url(world, "weekly")).status_code == 200
    api = api_client_for(world.viewer, scope="read")
    body = api.get(_api(world, "objective", objective_id=objective.pk)).json()
    assert body["sentences"][0]["citations"][0]["kind"] == "objective"


def test_another_workspaces_objective_is_404(world, world_b, viewer_client):
    other = ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace))
    assert viewer_client.get(_url(world, "objective", objective_id=other.pk)).status_code == 404
    api = api_client_for(world.viewer, scope="read")
    assert api.get(_api(world, "objective", objective_id=other.pk)).status_code == 404


def test_only_admins_see_the_log_and_turn_the_model_off(
    world, world_b, admin_client, member_client
):
    AssistantLog.objects.create(
        workspace=world.workspace, actor=world.member.user, feature="draft",
        endpoint="http://127.0.0.1:1/v1", model_name="m",
        prompt=[{"role": "user", "content": "Acme secret"}], output="answer",
        outcome=Outcome.MODEL,
    )  # fmt: skip
    AssistantLog.objects.create(
        workspace=world_b.workspace, feature="draft", endpoint="x", prompt=[{"role": "user",
        "content": "Globex secret"}], outcome=Outcome.MODEL,
    )  # fmt: skip
    assert member_client.get(_url(world, "settings")).status_code == 403
    page = admin_client.get(_url(world, "settings")).content.decode()
    assert "Acme secret" in page
    assert "Globex secret" not in page
    assert "nothing leaves the server" in page
    logs = api_client_for(world.admin, scope="read").get(_api(world, "logs")).json()
    assert [row["prompt"][0]["content"] for row in logs["results"]] == ["Acme secret"]
    assert api_client_for(world.member).get(_api(world, "logs")).status_code == 403
    response = admin_client.post(_url(world, "settings"), {})
    assert response.status_code == 303
    assert AssistantSettings.objects.get(workspace=world.workspace).model_enabled is False
    api = api_client_for(world.admin)
    on = api.patch(
        _api(world, "settings"), {"model_enabled": True}, content_type="application/json"
    )
    assert on.json()["model_enabled"] is True
    assert on.json()["mode"] == "offline"
    refused = api_client_for(world.member).patch(
        _api(world, "settings"), {"model_enabled": False}, content_type="application/json"
    )
    assert refused.status_code == 403
