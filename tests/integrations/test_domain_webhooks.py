"""Domain changes publish outbound webhooks, end to end: a real service call writes the outbox
row in its own transaction, the delivery task POSTs it to a local receiver that checks the
signature as a receiver would, and the body has the shape docs/webhooks.md documents."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment import events
from alignment.errors import RoleRequired
from alignment.models import Team
from dashboards.events import RollupChanged
from integrations import domain_webhooks
from integrations import services as integration_services
from integrations.models import OutboxMessage, OutboxStatus, WebhookSubscription
from integrations.tasks import deliver_outbox
from integrations.webhooks import listening_event_types
from okrs import services as okr_services
from roadmaps import services as roadmap_services
from tasks import services as task_services
from tasks.events import TaskChanged
from tasks.models import StateCategory, TaskLabel
from tests.conftest import build_guest
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import LabelFactory, RoadmapFactory, TaskFactory, state_of
from tests.integrations.conftest import Received
from tests.integrations.test_outbox import subscribe
from tests.integrations.test_webhook_docs import (
    DOMAIN_TYPES,
    documented_example,
    shape_mismatches,
)

SECRET = "whsec_domain_events_receiver"


class Boom(Exception):
    pass


# ---- a receiver subscribed to everything --------------------------------------------------


@pytest.fixture
def receiver(world, http_peer):
    peer = http_peer(verify_secret=SECRET).peer
    subscribe(world, peer.url + "/alignment", events=DOMAIN_TYPES, secret=SECRET)
    return peer


def received(receiver, event_type: str) -> list[Received]:
    return [r for r in receiver.received if r.headers.get("X-Alignment-Event") == event_type]


def the_one(receiver, event_type: str, world) -> dict[str, Any]:
    """The single delivery of `event_type`: signed, verified, documented, with its actor."""
    [request] = received(receiver, event_type)
    assert request.verified is True
    body = json.loads(request.body)
    assert body["type"] == event_type
    assert request.headers["X-Alignment-Delivery"] == body["id"]
    assert body["workspace"] == world.workspace.slug
    assert shape_mismatches(documented_example(event_type), body) == []
    message = OutboxMessage.objects.get(event_type=event_type)
    assert (message.status, message.last_status_code) == (OutboxStatus.DELIVERED, 200)
    return body


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a service call and everything it queues on commit (delivery included)."""

    def call(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return call


# ---- work -------------------------------------------------------------------------------


def test_task_created_reaches_the_receiver_signed_and_documented(world, receiver, run):
    label = LabelFactory(workspace=world.workspace, name="bug")
    task = run(
        task_services.task_create,
        actor=world.member,
        team=world.team,
        title="Login fails on Safari",
        estimate=3,
        labels=[label],
    )
    body = the_one(receiver, "task.created", world)
    assert body["actor"] == {
        "id": world.member.user_id,
        "email": world.member.user.email,
        "name": world.member.user.display_name,
    }
    data = body["data"]["task"]
    assert (data["id"], data["key"], data["title"]) == (task.pk, task.key, task.title)
    assert (data["estimate"], data["labels"]) == ("3.0", ["bug"])
    assert data["url"].endswith(f"/api/v1/workspaces/{world.workspace.slug}/tasks/{task.key}/")
    assert data["html_url"].endswith(f"/w/{world.workspace.slug}/tasks/{task.key}/")


def test_task_updated_names_the_changed_fields_and_the_new_values(world, receiver, run):
    task = TaskFactory(team=world.team, state=state_of(world.team, StateCategory.UNSTARTED))
    doing = state_of(world.team, StateCategory.STARTED)
    run(task_services.task_transition, actor=world.member, task=task, to_state=doing)
    data = the_one(receiver, "task.updated", world)["data"]
    assert data["changes"] == ["state"]
    assert data["task"]["state"] == {"id": doing.pk, "name": doing.name, "category": "started"}


def test_reordering_a_card_alone_sends_nothing(world, receiver, run):
    first, second = TaskFactory.create_batch(2, team=world.team)
    run(
        task_services.task_move,
        actor=world.member,
        task=first,
        expected_version=first.version,
        after=second,
    )
    assert received(receiver, "task.updated") == []


def test_task_merged_names_the_source_from_the_event_and_the_survivor(world, receiver, run):
    source, into = TaskFactory.create_batch(2, team=world.team)
    run(task_services.task_merge, actor=world.member, source=source, into=into)
    data = the_one(receiver, "task.merged", world)["data"]
    assert data["source"] == {"id": source.pk, "key": source.key}
    assert (data["into"]["key"], data["into"]["merged_into"]) == (into.key, None)


def test_comment_created_carries_the_comment_and_its_task(world, receiver, run):
    task = TaskFactory(team=world.team)
    comment = run(task_services.task_comment_add, actor=world.member, task=task, body="Looks good")
    data = the_one(receiver, "comment.created", world)["data"]
    assert (data["comment"]["id"], data["comment"]["body"]) == (comment.pk, "Looks good")
    assert data["comment"]["html_url"].endswith(f"#comment-{comment.pk}")
    assert data["task"]["key"] == task.key


def test_sprint_started_and_closed_with_the_carried_tasks(world, receiver, run):
    today = timezone.localdate()
    sprint = run(
        task_services.sprint_create,
        actor=world.member,
        team=world.team,
        name="Sprint 9",
        start_date=today,
        end_date=today + timedelta(days=13),
    )
    run(task_services.sprint_start, actor=world.member, sprint=sprint)
    started = the_one(receiver, "sprint.started", world)["data"]["sprint"]
    assert (started["id"], started["status"]) == (sprint.pk, "active")
    open_task = TaskFactory(
        team=world.team, sprint=sprint, state=state_of(world.team, StateCategory.UNSTARTED)
    )
    run(task_services.sprint_close, actor=world.member, sprint=sprint, carry_to=None)
    data = the_one(receiver, "sprint.closed", world)["data"]
    assert data["sprint"]["status"] == "closed"
    assert data["carried_over"] == [{"id": open_task.pk, "key": open_task.key}]


# ---- OKRs -------------------------------------------------------------------------------


def test_objective_created_updated_and_archived(world, receiver, run):
    period = PeriodFactory(workspace=world.workspace)
    objective = run(
        okr_services.objective_create,
        actor=world.member,
        period=period,
        title="Delight new users",
        team=world.team,
    )
    created = the_one(receiver, "objective.created", world)["data"]
    assert (created["objective"]["id"], created["change"]) == (objective.pk, "created")
    run(okr_services.objective_update, actor=world.member, objective=objective, title="Delight")
    assert the_one(receiver, "objective.updated", world)["data"]["objective"]["title"] == "Delight"
    run(okr_services.objective_archive, actor=world.member, objective=objective)
    archived = the_one(receiver, "objective.archived", world)["data"]["objective"]
    assert archived["status"] == "archived"


def test_key_result_created_updated_and_deleted_from_the_event_alone(world, receiver, run):
    objective = ObjectiveFactory(workspace=world.workspace, team=world.team)
    key_result = run(
        okr_services.key_result_create,
        actor=world.member,
        objective=objective,
        title="Activation at 40%",
        baseline=20,
        target=40,
    )
    created = the_one(receiver, "key_result.created", world)["data"]["key_result"]
    assert (created["id"], created["target"]) == (key_result.pk, "40.0000")
    key_result.refresh_from_db()
    run(okr_services.key_result_update, actor=world.member, key_result=key_result, title="Act.")
    assert the_one(receiver, "key_result.updated", world)["data"]["key_result"]["title"] == "Act."
    key_result_id = key_result.pk
    run(okr_services.key_result_delete, actor=world.member, key_result=key_result)
    deleted = the_one(receiver, "key_result.deleted", world)["data"]
    assert deleted["key_result"] == {"id": key_result_id, "objective": {"id": objective.pk}}
    assert deleted["objective"]["id"] == objective.pk


def test_checkin_created_with_its_key_result(world, receiver, run):
    key_result = KeyResultFactory(objective=ObjectiveFactory(workspace=world.workspace))
    check_in = run(
        okr_services.key_result_check_in,
        actor=world.member,
        key_result=key_result,
        value=7,
        confidence=6,
        note="Trending up",
    )
    data = the_one(receiver, "checkin.created", world)["data"]
    assert (data["checkin"]["id"], data["checkin"]["note"]) == (check_in.pk, "Trending up")
    assert data["key_result"]["id"] == key_result.pk


@pytest.mark.parametrize(
    ("kind", "event_type"),
    [("objective", "objective.progress_changed"), ("key_result", "key_result.progress_changed")],
)
def test_rollup_changes_publish_progress_changed(world, receiver, run, kind, event_type):
    key_result = KeyResultFactory(objective=ObjectiveFactory(workspace=world.workspace))
    node_id = key_result.objective_id if kind == "objective" else key_result.pk

    def rollup_writer() -> None:  # what dashboards' writer does inside its transaction
        with transaction.atomic():
            events.publish_on_commit(
                RollupChanged(
                    workspace_id=world.workspace.pk,
                    kind=kind,
                    node_id=node_id,
                    progress_before="0.2500",
                    progress_after="0.5000",
                    status_before="at_risk",
                    status_after="on_track",
                )
            )

    run(rollup_writer)
    body = the_one(receiver, event_type, world)
    assert body["actor"] is None
    assert body["data"]["progress"] == {"before": "0.2500", "after": "0.5000"}
    assert body["data"]["status"] == {"before": "at_risk", "after": "on_track"}
    assert body["data"][kind]["id"] == node_id


def test_roadmap_item_updated_and_deleted(world, receiver, run):
    roadmap = RoadmapFactory(workspace=world.workspace)
    item = run(
        roadmap_services.roadmap_item_create, actor=world.member, roadmap=roadmap, title="SSO"
    )
    body = the_one(receiver, "roadmap_item.updated", world)
    created = body["data"]
    assert (created["roadmap_item"]["title"], created["deleted"]) == ("SSO", False)
    assert body["actor"]["id"] == world.member.user_id
    item_id = item.pk
    run(roadmap_services.roadmap_item_delete, actor=world.member, item=item)
    deleted = [json.loads(r.body)["data"] for r in received(receiver, "roadmap_item.updated")]
    assert deleted[-1] == {"roadmap_item": {"id": item_id}, "deleted": True}


# ---- transactions, cost, cache ----------------------------------------------------------


def test_a_rolled_back_change_writes_no_outbox_row(world, receiver):
    def change_then_fail() -> None:
        with transaction.atomic():
            task_services.task_create(actor=world.member, team=world.team, title="Never")
            assert OutboxMessage.objects.filter(event_type="task.created").count() == 1
            raise Boom

    with pytest.raises(Boom):
        change_then_fail()
    assert OutboxMessage.objects.count() == 0
    assert receiver.received == []


def test_the_outbox_row_commits_in_the_same_transaction_as_the_change(world, receiver):
    with transaction.atomic():
        task = task_services.task_create(actor=world.member, team=world.team, title="Row")
        message = OutboxMessage.objects.get(event_type="task.created")
    assert message.payload["data"]["task"]["key"] == task.key
    assert receiver.received == []  # delivery waits for the commit


def test_nobody_listening_costs_no_query_on_a_task_move(world):
    subscribe(world, "https://elsewhere.example.com", events=["checkin.created"])
    todo = state_of(world.team, StateCategory.UNSTARTED)
    doing = state_of(world.team, StateCategory.STARTED)
    task = TaskFactory(team=world.team, state=todo)
    task_services.task_transition(actor=world.member, task=task, to_state=doing)  # warm
    with CaptureQueriesContext(connection) as listened:
        task_services.task_transition(actor=world.member, task=task, to_state=todo)
    for event_type, handler in domain_webhooks.SUBSCRIPTIONS:
        events.unsubscribe(event_type, handler)
    try:
        with CaptureQueriesContext(connection) as unhooked:
            task_services.task_transition(actor=world.member, task=task, to_state=doing)
    finally:
        domain_webhooks.register()
    assert len(listened) == len(unhooked)
    assert not [q for q in listened.captured_queries if "webhooksubscription" in q["sql"]]


def test_the_first_event_reads_subscriptions_once_then_the_cache_answers(world):
    subscribe(world, "https://elsewhere.example.com", events=["checkin.created"])
    with CaptureQueriesContext(connection) as first:
        assert listening_event_types(world.workspace.pk) == {"checkin.created"}
    with CaptureQueriesContext(connection) as second:
        listening_event_types(world.workspace.pk)
    assert (len(first), len(second)) == (1, 0)


def test_a_new_subscription_is_heard_at_once(world, http_peer, run):
    assert listening_event_types(world.workspace.pk) == frozenset()  # cached: nobody
    peer = http_peer(verify_secret=SECRET).peer
    subscription, secret = integration_services.subscription_create(
        actor=world.admin, url=peer.url, description="", event_types=["task.created"]
    )
    peer.verify_secret = secret
    run(task_services.task_create, actor=world.member, team=world.team, title="Heard")
    [request] = peer.received
    assert request.verified is True
    integration_services.subscription_delete(actor=world.admin, subscription=subscription)
    assert listening_event_types(world.workspace.pk) == frozenset()


def test_a_ping_matches_its_documented_shape(world, receiver, run):
    subscription = WebhookSubscription.objects.get()
    run(integration_services.subscription_ping, actor=world.admin, subscription=subscription)
    body = the_one(receiver, "ping", world)
    assert body["data"] == {"subscription": subscription.pk}


def test_a_paused_subscription_stops_the_events(world, receiver, run):
    subscription = WebhookSubscription.objects.get()
    subscription.active = False
    subscription.save()
    run(task_services.task_create, actor=world.member, team=world.team, title="Quiet")
    assert OutboxMessage.objects.count() == 0


def test_with_the_cache_down_changes_still_work_and_webhooks_still_go(world, receiver, settings):
    working_cache = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    # The in-transaction part only: after-commit subscribers of other apps need the cache.
    with transaction.atomic():
        task = task_services.task_create(actor=world.member, team=world.team, title="Still")
    settings.CACHES = working_cache
    message = OutboxMessage.objects.get(event_type="task.created")
    deliver_outbox(message.pk)
    assert the_one(receiver, "task.created", world)["data"]["task"]["key"] == task.key


def test_another_workspaces_changes_reach_only_their_own_subscribers(world, world_b, receiver, run):
    run(task_services.task_create, actor=world_b.member, team=world_b.team, title="B's task")
    assert receiver.received == []
    assert OutboxMessage.objects.count() == 0


def test_building_a_task_body_costs_the_same_queries_for_one_label_or_many(world, receiver):
    def publish_update(labels: int) -> int:
        task = TaskFactory(team=world.team)
        TaskLabel.objects.bulk_create(
            TaskLabel(
                workspace=world.workspace,
                task=task,
                label=LabelFactory(workspace=world.workspace, name=f"l{task.pk}-{n}"),
            )
            for n in range(labels)
        )
        with CaptureQueriesContext(connection) as queries:
            domain_webhooks.on_task_changed(
                TaskChanged(
                    workspace_id=world.workspace.pk,
                    task_id=task.pk,
                    fields=("title",),
                    roadmap_item_ids=(),
                    actor_id=world.member.user_id,
                )
            )
        return len(queries)

    publish_update(1)  # warm the listener cache
    assert publish_update(1) == publish_update(8)


def test_admins_pick_the_new_types_on_the_subscription_form(world, admin_client):
    page = f"/w/{world.workspace.slug}/integrations/webhooks/"
    form = admin_client.get(page).content.decode()
    for event_type in DOMAIN_TYPES:
        assert f'value="{event_type}"' in form
    for group in ("Work", "OKRs", "Roadmaps"):  # grouped like the docs
        assert group in form
    response = admin_client.post(
        page,
        {
            "url": "https://hooks.example.com/alignment",
            "event_types": ["task.merged", "objective.progress_changed", "roadmap_item.updated"],
            "active": "on",
        },
    )
    assert response.status_code in (302, 303)
    assert WebhookSubscription.objects.get().event_types == [
        "task.merged",
        "objective.progress_changed",
        "roadmap_item.updated",
    ]
    assert listening_event_types(world.workspace.pk) == {
        "task.merged",
        "objective.progress_changed",
        "roadmap_item.updated",
    }


# ---- private teams ------------------------------------------------------------------------


def test_a_private_teams_work_is_in_the_payloads_admins_subscribed_to(world, receiver, run):
    # Subscriptions are created by admins, who see every team: the receiver gets the work of
    # private teams too, titles included (docs/teams.md, "Outgoing webhooks").
    Team.objects.filter(pk=world.team.pk).update(is_private=True)
    world.team.refresh_from_db()
    task = run(
        task_services.task_create,
        actor=world.admin,
        team=world.team,
        title="Zq7Secret payroll export",
    )
    data = the_one(receiver, "task.created", world)["data"]["task"]
    assert (data["key"], data["title"]) == (task.key, "Zq7Secret payroll export")


@pytest.mark.parametrize("role", ["member", "viewer", "guest"])
def test_only_admins_subscribe_to_webhooks(world, role):
    membership = build_guest(world) if role == "guest" else world.membership(role)

    with pytest.raises(RoleRequired):
        integration_services.subscription_create(
            actor=membership, url="https://hooks.example.com/x", event_types=["task.created"]
        )
    assert WebhookSubscription.objects.count() == 0
