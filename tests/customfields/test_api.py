from __future__ import annotations

import json

from customfields.models import CustomField, CustomFieldValue, FieldKind
from tests.factories.customfields import define, option, set_values

BASE = "/api/v1/workspaces/acme-inc"


def _patch(client, url, body, **headers):
    return client.patch(url, json.dumps(body), content_type="application/json", **headers)


def test_definitions_are_listed_in_order_with_options(viewer_api, customer, deal_size):
    response = viewer_api.get(f"{BASE}/custom-fields/")

    assert response.status_code == 200
    body = response.json()
    assert [(f["name"], f["kind"], f["team"]) for f in body] == [
        ("Customer", "select", None),
        ("Deal size", "number", None),
    ]
    assert [o["label"] for o in body[0]["options"]] == ["Acme", "Globex", "Initech"]


def test_an_admin_defines_a_field_for_one_team(admin_api, world):
    response = admin_api.post(
        f"{BASE}/custom-fields/",
        {"name": "Region", "kind": "multi_select", "team": "eng", "options": ["EU", "US"]},
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    field = CustomField.objects.get()
    assert (field.name, field.team, response.json()["team"]) == ("Region", world.team, "ENG")


def test_a_member_may_not_define_a_field(member_api):
    response = member_api.post(
        f"{BASE}/custom-fields/",
        {"name": "Region", "kind": "text"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not CustomField.objects.exists()


def test_an_unknown_kind_is_a_400_naming_the_field(admin_api):
    response = admin_api.post(
        f"{BASE}/custom-fields/",
        {"name": "Region", "kind": "colour"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]


def test_an_admin_archives_and_adds_options(admin_api, customer):
    response = _patch(
        admin_api,
        f"{BASE}/custom-fields/{customer.pk}/",
        {"is_archived": True, "add_options": ["Umbrella"]},
    )

    assert response.status_code == 200, response.json()
    assert response.json()["is_archived"] is True
    assert [o["label"] for o in response.json()["options"]][-1] == "Umbrella"


def test_a_tasks_values_read_back_typed(member_api, world, task, customer, deal_size):
    set_values(world.member, task, Customer="Acme", deal_size="1200.5")
    task.refresh_from_db()

    response = member_api.get(f"{BASE}/tasks/{task.key}/custom-fields/")

    assert response.status_code == 200
    assert response["ETag"] == f'"v{task.version}"'
    assert response.json() == {
        "task": task.key,
        "version": task.version,
        "custom_fields": [
            {
                "id": customer.pk,
                "name": "Customer",
                "kind": "select",
                "value": option(customer, "Acme").pk,
                "display": "Acme",
            },
            {
                "id": deal_size.pk,
                "name": "Deal size",
                "kind": "number",
                "value": "1200.5",
                "display": "1200.5",
            },
        ],
    }


def test_values_are_written_by_id_or_name_with_the_version(member_api, task, customer, deal_size):
    response = _patch(
        member_api,
        f"{BASE}/tasks/{task.key}/custom-fields/",
        {
            "values": {str(customer.pk): option(customer, "Globex").pk, "Deal size": 7},
            "version": task.version,
        },
    )

    assert response.status_code == 200, response.json()
    assert [f["display"] for f in response.json()["custom_fields"]] == ["Globex", "7"]
    assert response.json()["version"] == task.version + 1


def test_an_unknown_option_is_a_400_naming_the_field_and_nothing_changes(
    member_api, task, customer, deal_size
):
    response = _patch(
        member_api,
        f"{BASE}/tasks/{task.key}/custom-fields/",
        {"values": {"Deal size": 5, "Customer": "Umbrella"}},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_custom_field"
    assert error["message"].startswith("“Customer”: “Umbrella” is not an option.")
    assert error["fields"] == {
        "custom_fields.Customer": ["“Umbrella” is not an option. Options: Acme, Globex, Initech."]
    }
    assert not CustomFieldValue.objects.exists()


def test_a_wrong_type_is_a_400_naming_the_field(member_api, task, deal_size):
    response = _patch(
        member_api, f"{BASE}/tasks/{task.key}/custom-fields/", {"values": {"Deal size": [1, 2]}}
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "“Deal size”: Must be a number."


def test_a_stale_version_is_409(member_api, task, customer):
    response = _patch(
        member_api,
        f"{BASE}/tasks/{task.key}/custom-fields/",
        {"values": {"Customer": "Acme"}, "version": task.version + 3},
    )

    assert response.status_code == 409
    assert not CustomFieldValue.objects.exists()


def test_a_viewer_may_not_write_values(viewer_api, task, customer):
    response = _patch(
        viewer_api, f"{BASE}/tasks/{task.key}/custom-fields/", {"values": {"Customer": "Acme"}}
    )

    assert response.status_code == 403


def test_the_schema_describes_the_endpoints(admin_api):
    response = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json")

    paths = (
        json.loads(response.content)["paths"]
        if response["Content-Type"].startswith("application/json")
        else None
    )
    if paths is None:  # YAML by default
        text = response.content.decode()
        assert "/api/v1/workspaces/{slug}/tasks/{key}/custom-fields/" in text
        assert "TaskValuesWrite" in text
    else:
        assert "/api/v1/workspaces/{slug}/tasks/{key}/custom-fields/" in paths


def test_a_multi_select_takes_a_list_of_option_ids(member_api, world, task):
    regions = define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US"])

    response = _patch(
        member_api,
        f"{BASE}/tasks/{task.key}/custom-fields/",
        {"values": {"Regions": [option(regions, "US").pk, "eu"]}},
    )

    assert response.status_code == 200, response.json()
    [shown] = response.json()["custom_fields"]
    assert shown["display"] == "EU, US"
    assert sorted(shown["value"]) == sorted(o.pk for o in regions.options.all())
