"""Custom field values in every payload that carries a task, besides the task endpoints:
outbound webhook bodies (task.created, task.updated), search results and a sprint close's
carried-over tasks. Each reads a whole page's (or body's) values in one query."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customfields.models import FieldKind
from integrations import domain_webhooks
from integrations.models import OutboxMessage
from tasks import services as task_services
from tasks.events import TaskChanged
from tasks.models import SprintStatus
from tests.factories.customfields import define, option, set_values
from tests.factories.okrs import ObjectiveFactory, PeriodFactory
from tests.factories.work import SprintFactory, TaskFactory
from tests.integrations.test_domain_webhooks import documented_example, shape_mismatches
from tests.integrations.test_outbox import subscribe
from tests.querycount import count_queries

BASE = "/api/v1/workspaces/acme-inc"


@pytest.fixture
def listening(world):
    return subscribe(world, "https://hooks.example.com/in", events=["task.created", "task.updated"])


def _body(event_type: str) -> dict:
    [message] = OutboxMessage.objects.filter(event_type=event_type)
    assert shape_mismatches(documented_example(event_type), message.payload) == []
    return message.payload["data"]


# ---- webhooks ---------------------------------------------------------------------------


def test_task_created_carries_the_values_given_on_create(
    world, listening, customer, deal_size, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        task = task_services.task_create(
            actor=world.member,
            team=world.team,
            title="Renewal quote",
            custom_fields={"Customer": "Acme", "Deal size": "1200.50"},
        )

    data = _body("task.created")
    assert data["task"]["key"] == task.key
    assert data["task"]["custom_fields"] == {
        "Customer": option(customer, "Acme").pk,
        "Deal size": "1200.5",
    }
    # The values are part of the creation: no separate task.updated.
    assert not OutboxMessage.objects.filter(event_type="task.updated").exists()


def test_task_updated_names_custom_fields_and_carries_the_new_values(
    world, listening, task, customer, deal_size
):
    set_values(world.member, task, Customer="Acme", deal_size=3)
    OutboxMessage.objects.all().delete()

    set_values(world.member, task, Customer="Globex")

    data = _body("task.updated")
    assert data["changes"] == ["custom_fields"]
    assert data["task"]["custom_fields"] == {
        "Customer": option(customer, "Globex").pk,
        "Deal size": "3",
    }


def test_a_task_without_values_has_an_empty_object(world, listening, customer):
    task_services.task_create(actor=world.member, team=world.team, title="Plain")

    assert _body("task.created")["task"]["custom_fields"] == {}


def test_a_webhook_body_costs_the_same_queries_for_one_field_or_many(world, listening):
    fields = [define(world.admin, f"Field {n}", FieldKind.TEXT) for n in range(6)]

    def publish_update(valued: int) -> int:
        task = TaskFactory(team=world.team)
        set_values(world.member, task, **{f.name: f"value of {f.name}" for f in fields[:valued]})
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            domain_webhooks.on_task_changed(
                TaskChanged(
                    workspace_id=world.workspace.pk,
                    task_id=task.pk,
                    fields=("custom_fields",),
                    roadmap_item_ids=(),
                    actor_id=world.member.user_id,
                )
            )
        return len(queries)

    publish_update(1)  # warm the listener cache
    assert publish_update(1) == publish_update(6)
    bodies = OutboxMessage.objects.order_by("pk")
    assert len(bodies.last().payload["data"]["task"]["custom_fields"]) == 6


# ---- search -----------------------------------------------------------------------------


def test_search_results_carry_their_tasks_values(member_api, world, customer, deal_size):
    task = TaskFactory(team=world.team, title="Renewal quote")
    set_values(world.member, task, Customer="Acme", deal_size=5)
    commented = TaskFactory(team=world.team, title="Billing")
    set_values(world.member, commented, Customer="Globex")
    task_services.task_comment_add(actor=world.member, task=commented, body="renewal in March")
    ObjectiveFactory(workspace=world.workspace, period=PeriodFactory(workspace=world.workspace),
                     title="Renewal rate up")  # fmt: skip

    results = member_api.get(f"{BASE}/search/", {"q": "renewal"}).json()["results"]

    by_kind = {r["kind"]: r for r in results}
    assert by_kind["task"]["custom_fields"] == {
        "Customer": option(customer, "Acme").pk,
        "Deal size": "5",
    }
    assert by_kind["comment"]["key"] == commented.key
    assert by_kind["comment"]["custom_fields"] == {"Customer": option(customer, "Globex").pk}
    assert by_kind["objective"]["custom_fields"] is None


def test_search_reads_values_in_one_query_a_page(member_api, world, customer, deal_size):
    url = f"{BASE}/search/?q=renewal&page_size=50"
    for task in TaskFactory.create_batch(2, team=world.team, title="Renewal"):
        set_values(world.member, task, Customer="Acme", deal_size=1)
    member_api.get(url)
    member_api.get(url)  # a token's authentication is cached from its second request
    small, _ = count_queries(member_api, url)
    for task in TaskFactory.create_batch(20, team=world.team, title="Renewal"):
        set_values(world.member, task, Customer="Globex", deal_size=2)
    member_api.get(url)
    large, _ = count_queries(member_api, url)

    assert large == small
    results = member_api.get(url).json()["results"]
    assert len(results) == 22
    assert all(r["custom_fields"]["Deal size"] in ("1", "2") for r in results)


def test_the_schema_describes_values_in_search_and_sprint_close(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    assert components["SearchResult"]["properties"]["custom_fields"]["type"] == "object"
    assert components["CarryOver"]["properties"]["custom_fields"]["type"] == "object"


# ---- sprints ----------------------------------------------------------------------------


def test_a_sprint_close_lists_the_carried_tasks_values(member_api, world, customer):
    sprint = SprintFactory(team=world.team, status=SprintStatus.ACTIVE)
    valued, plain = TaskFactory.create_batch(2, team=world.team, sprint=sprint)
    set_values(world.member, valued, Customer="Initech")

    response = member_api.post(
        f"{BASE}/sprints/{sprint.pk}/close/",
        json.dumps({"carry_to": None}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    carried = {row["task"]: row["custom_fields"] for row in response.json()["carried_over"]}
    assert carried == {valued.key: {"Customer": option(customer, "Initech").pk}, plain.key: {}}
