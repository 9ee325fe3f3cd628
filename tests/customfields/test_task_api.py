"""Custom field values inside the main task API: read in lists (one query a page, the hand-
written rows equal to TaskSerializer) and detail, written by the task's PATCH."""

from __future__ import annotations

import json

from customfields.models import CustomFieldValue, FieldKind
from tasks import selectors
from tasks.api.task_rows import for_rows, labels_of, task_rows
from tasks.api.task_serializers import TaskSerializer
from tasks.models import Task
from tests.factories.customfields import define, option, set_values
from tests.factories.work import TaskFactory
from tests.querycount import count_queries
from tests.tasks.test_task_rows import as_json

BASE = "/api/v1/workspaces/acme-inc"


def _patch(client, url, body, **headers):
    return client.patch(url, json.dumps(body), content_type="application/json", **headers)


def _valued(world, task, customer, deal_size):
    regions = define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US"])
    owner = define(world.admin, "Owner", FieldKind.PERSON)
    set_values(
        world.member,
        task,
        Customer="Acme",
        deal_size="1200.50",
        Regions=["US", "EU"],
        Owner=world.member.user.email,
    )
    return regions, owner


def test_rows_and_serializer_carry_the_same_values(world, task, customer, deal_size):
    regions, _ = _valued(world, task, customer, deal_size)
    TaskFactory(team=world.team)  # no values at all
    tasks = list(selectors.tasks_shaped(world.workspace).order_by("pk"))
    expected = as_json(TaskSerializer(tasks, many=True).data)

    plain = list(for_rows(selectors.tasks_shaped(world.workspace)).order_by("pk"))
    assert as_json(task_rows(plain, labels_of(world.workspace, plain))) == expected
    assert as_json(task_rows(tasks)) == expected
    assert expected[0]["custom_fields"] == {
        "Customer": option(customer, "Acme").pk,
        "Deal size": "1200.5",
        "Regions": [option(regions, "EU").pk, option(regions, "US").pk],
        "Owner": world.member.user.pk,
    }
    assert expected[1]["custom_fields"] == {}


def test_list_and_detail_answer_the_values(member_api, world, task, customer, deal_size):
    _valued(world, task, customer, deal_size)

    listed = member_api.get(f"{BASE}/tasks/?ordering=id").json()["results"]
    detail = member_api.get(f"{BASE}/tasks/{task.key}/").json()

    assert listed[0]["custom_fields"] == detail["custom_fields"]
    assert detail["custom_fields"]["Deal size"] == "1200.5"


def test_an_archived_field_is_left_out(member_api, world, task, customer, deal_size):
    _valued(world, task, customer, deal_size)
    deal_size.is_archived = True
    deal_size.save()

    detail = member_api.get(f"{BASE}/tasks/{task.key}/").json()

    assert "Deal size" not in detail["custom_fields"]


def test_the_list_reads_values_in_one_query_a_page(member_api, world, customer, deal_size):
    url = f"{BASE}/tasks/"
    for task in TaskFactory.create_batch(2, team=world.team):
        set_values(world.member, task, Customer="Acme", deal_size="3")
    for _ in range(2):  # warm: a process caches a token from its second request on
        member_api.get(url)
    small, _ = count_queries(member_api, url)
    for task in TaskFactory.create_batch(20, team=world.team):
        set_values(world.member, task, Customer="Globex", deal_size="4")
    large, _ = count_queries(member_api, url)

    assert large == small <= 5


def test_patch_sets_values_with_other_changes(member_api, task, customer, deal_size):
    response = _patch(
        member_api,
        f"{BASE}/tasks/{task.key}/",
        {
            "title": "Renamed",
            "custom_fields": {"Customer": "Globex", str(deal_size.pk): 7},
            "version": task.version,
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["title"] == "Renamed"
    assert body["custom_fields"] == {"Customer": option(customer, "Globex").pk, "Deal size": "7"}
    assert body["version"] > task.version
    assert response["ETag"] == f'"v{body["version"]}"'


def test_patch_with_values_alone(member_api, task, customer):
    response = _patch(
        member_api, f"{BASE}/tasks/{task.key}/", {"custom_fields": {"Customer": "Acme"}}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["custom_fields"] == {"Customer": option(customer, "Acme").pk}
    assert response.json()["version"] == task.version + 1


def test_a_bad_value_is_a_400_naming_the_field_and_nothing_changes(
    member_api, task, customer, deal_size
):
    response = _patch(
        member_api,
        f"{BASE}/tasks/{task.key}/",
        {"title": "Renamed", "custom_fields": {"Deal size": 5, "Customer": "Umbrella"}},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_custom_field"
    assert list(error["fields"]) == ["custom_fields.Customer"]
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.title, fresh.version) == (task.title, task.version)
    assert not CustomFieldValue.objects.exists()


def test_an_unknown_field_is_a_400(member_api, task, customer):
    response = _patch(member_api, f"{BASE}/tasks/{task.key}/", {"custom_fields": {"Nope": 1}})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["custom_fields.Nope"]


def test_a_stale_version_is_409_and_nothing_changes(member_api, task, customer):
    response = _patch(
        member_api,
        f"{BASE}/tasks/{task.key}/",
        {"title": "Renamed", "custom_fields": {"Customer": "Acme"}, "version": task.version + 3},
    )

    assert response.status_code == 409
    assert not CustomFieldValue.objects.exists()
    assert Task.objects.get(pk=task.pk).title == task.title


def test_a_bad_task_change_keeps_the_values_unwritten(member_api, task, customer):
    response = _patch(
        member_api,
        f"{BASE}/tasks/{task.key}/",
        {"title": "", "custom_fields": {"Customer": "Acme"}},
    )

    assert response.status_code == 400
    assert not CustomFieldValue.objects.exists()


def test_a_viewer_may_not_patch_values(viewer_api, task, customer):
    response = _patch(viewer_api, f"{BASE}/tasks/{task.key}/", {"custom_fields": {"Customer": 1}})

    assert response.status_code == 403
    assert not CustomFieldValue.objects.exists()


def test_the_schema_describes_custom_fields_on_tasks(admin_api):
    text = admin_api.get("/api/schema/").content.decode()

    assert "Field name → value" in text
    assert "Field name or id → value" in text
