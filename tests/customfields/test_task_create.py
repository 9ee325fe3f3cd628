"""Custom field values given when a task is created (`POST tasks/`): checked like a task's
PATCH, written with the task in one transaction, and a refused value creates nothing."""

from __future__ import annotations

import json

import pytest

from alignment.models import AuditEvent, Team
from customfields.models import CustomFieldValue, FieldKind
from tasks.models import Task
from tests.factories.customfields import define, option

BASE = "/api/v1/workspaces/acme-inc"


def _create(client, body):
    return client.post(f"{BASE}/tasks/", json.dumps(body), content_type="application/json")


def _body(team: Team, custom_fields) -> dict:
    return {"team": team.pk, "title": "Renewal quote", "custom_fields": custom_fields}


def test_a_task_is_created_with_its_values(member_api, world, customer, deal_size):
    regions = define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US"])
    define(world.admin, "Owner", FieldKind.PERSON)

    response = _create(
        member_api,
        _body(
            world.team,
            {
                "customer": "Globex",  # a label, any case
                str(deal_size.pk): "12,500",
                "Regions": ["US", "EU"],
                "Owner": world.member.user.email,
            },
        ),
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["custom_fields"] == {
        "Customer": option(customer, "Globex").pk,
        "Deal size": "12500",
        "Regions": [option(regions, "EU").pk, option(regions, "US").pk],
        "Owner": world.member.user.pk,
    }
    # The values are part of the creation, not an edit after it: version 1, one audit entry.
    assert body["version"] == 1
    task = Task.objects.get(pk=body["id"])
    assert task.custom_values.count() == 5
    entries = AuditEvent.objects.filter(verb__startswith="task.", object_id=str(task.pk))
    assert [e.verb for e in entries] == ["task.created"]
    assert entries[0].after["custom_fields"] == {
        "Customer": "Globex",
        "Deal size": "12500",
        "Regions": "US, EU",  # as chosen
        "Owner": world.member.user.display_name,
    }


def test_an_empty_value_is_simply_not_set(member_api, world, customer, deal_size):
    response = _create(member_api, _body(world.team, {"Customer": None, "Deal size": ""}))

    assert response.status_code == 201, response.json()
    assert response.json()["custom_fields"] == {}
    assert not CustomFieldValue.objects.exists()


@pytest.mark.parametrize(
    ("custom_fields", "named", "says"),
    [
        ({"Customer": "Umbrella"}, "custom_fields.Customer", "is not an option"),
        ({"Deal size": "a lot"}, "custom_fields.Deal size", "is not a number"),
        ({"Deal size": True}, "custom_fields.Deal size", "Must be a number"),
        ({"Nope": 1}, "custom_fields.Nope", "No custom field “Nope” on tasks of team"),
    ],
    ids=["unknown option", "not a number", "wrong type", "unknown field"],
)
def test_a_value_that_does_not_fit_creates_nothing(
    member_api, world, customer, deal_size, custom_fields, named, says
):
    tasks_before = Task.all_objects.count()

    response = _create(member_api, _body(world.team, {"Deal size": 5, **custom_fields}))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_custom_field"
    assert list(error["fields"]) == [named]
    assert says in error["fields"][named][0]
    assert Task.all_objects.count() == tasks_before
    assert not CustomFieldValue.objects.exists()
    # The refused creation took no key: the next task gets the number it would have had.
    created = _create(member_api, {"team": world.team.pk, "title": "Next"}).json()
    assert created["number"] == 1


@pytest.mark.parametrize(
    ("custom_fields", "named"),
    [
        ({"Owner": 10**30}, "custom_fields.Owner"),  # past any id column
        ({"Owner": "²"}, "custom_fields.Owner"),  # a digit to str.isdigit, not to int()
        ({"Customer": "²"}, "custom_fields.Customer"),
        ({"²": "Acme"}, "custom_fields.²"),
        ({"Customer": {"label": "Acme"}}, "custom_fields.Customer"),
    ],
    ids=["huge person id", "superscript person", "superscript option", "superscript field",
         "object value"],
)  # fmt: skip
def test_odd_input_is_a_400_never_a_500(member_api, world, customer, custom_fields, named):
    define(world.admin, "Owner", FieldKind.PERSON)

    response = _create(member_api, _body(world.team, custom_fields))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [named]
    assert not Task.all_objects.exists()


def test_custom_fields_must_be_an_object(member_api, world, customer):
    response = _create(member_api, _body(world.team, ["Acme"]))

    assert response.status_code == 400
    assert "custom_fields" in response.json()["error"]["fields"]
    assert not Task.all_objects.exists()


def test_another_teams_field_is_not_a_field_of_this_task(member_api, world):
    other = Team.objects.create(workspace=world.workspace, key="OPS", name="Operations")
    define(world.admin, "Runbook", FieldKind.URL, team=other)

    response = _create(member_api, _body(world.team, {"Runbook": "https://example.com/rb"}))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["custom_fields.Runbook"]
    assert not Task.all_objects.exists()


def test_the_schema_describes_custom_fields_on_create(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    create = schema["paths"]["/api/v1/workspaces/{slug}/tasks/"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    write = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    described = write["properties"]["custom_fields"]
    assert described["type"] == "object"
    assert "no task is created" in described["description"]
    assert "custom_fields" not in write.get("required", [])
