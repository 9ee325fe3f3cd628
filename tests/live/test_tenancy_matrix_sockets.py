"""The tenancy matrix for sockets: from workspace A, nothing of workspace B can be followed
or changed over a socket, and nothing of B's reaches A's sockets.

Every websocket route and every topic kind in the registry is probed. Adding a route to
live/routing.py or a kind to live.topics without a probe here fails
`test_every_socket_route_and_topic_kind_is_probed`, as the page matrix fails for a URL.
As the page matrix does, the caller is A's OWNER, so no refusal comes from a role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from alignment import events
from dashboards.events import RollupChanged
from documents import services as document_services
from documents.models import Document
from documents.routing import websocket_urlpatterns as document_socket_routes
from integrations.notifications.services import forget_unread_count
from live import errors, topics
from live.routing import websocket_urlpatterns
from tasks import services
from tasks.models import Task
from tests.conftest import World
from tests.live.conftest import (
    closed_with,
    drain,
    next_of,
    opened,
    run,
    send,
    session_headers,
    socket,
    stage_board,
    subscribed,
)

# The document socket's own cross-workspace probes (a foreign slug, a foreign document id,
# bad frames) are in tests/documents/test_document_socket.py.
SOCKET_ROUTES = {"live": "/ws/w/{slug}/", "document_socket": "/ws/w/{slug}/documents/{id}/"}


@dataclass(frozen=True)
class TopicProbe:
    topic: Callable[[World, dict[str, Any]], str]  # the kind's topic for an object of a world
    change: Callable[[World, dict[str, Any]], None]  # a committed change that topic hears of
    hears: str  # the message type the change sends
    has_reference: bool = True


def _move(world: World, staged: dict[str, Any]) -> None:
    task = Task.objects.get(pk=staged["tasks"][0].pk)
    services.task_move(
        actor=world.member, task=task, expected_version=task.version, state=staged["doing"]
    )


def _comment(world: World, staged: dict[str, Any]) -> None:
    services.task_comment_add(actor=world.member, task=staged["tasks"][0], body="Looks right")


def _inbox(world: World, staged: dict[str, Any]) -> None:
    with transaction.atomic():
        forget_unread_count(world.owner.user_id, world.workspace.pk)


def _rollups(world: World, staged: dict[str, Any]) -> None:
    with transaction.atomic():
        events.publish_on_commit(
            RollupChanged(
                workspace_id=world.workspace.pk,
                kind="objective",
                node_id=1,
                progress_before="0.1",
                progress_after="0.2",
                status_before="on_track",
                status_after="on_track",
            )
        )


def _document(world: World, staged: dict[str, Any]) -> str:
    document = Document.objects.filter(workspace=world.workspace).first()
    if document is None:
        document = document_services.create_document(actor=world.member, title="Spec")
    return f"document:{document.pk}"


def _rename(world: World, staged: dict[str, Any]) -> None:
    document = Document.objects.get(workspace=world.workspace)
    document_services.rename(actor=world.member, document=document, title="Renamed")


TOPIC_PROBES: dict[str, TopicProbe] = {
    "document": TopicProbe(_document, _rename, "document"),
    "board": TopicProbe(lambda w, s: f"board:{w.team.pk}", _move, "card"),
    "backlog": TopicProbe(lambda w, s: f"backlog:{w.team.pk}", _move, "backlog"),
    "task": TopicProbe(lambda w, s: f"task:{s['tasks'][0].key}", _comment, "comment"),
    "notifications": TopicProbe(lambda w, s: "notifications", _inbox, "notifications", False),
    "dashboards": TopicProbe(lambda w, s: "dashboards", _rollups, "rollups", False),
}


def test_every_socket_route_and_topic_kind_is_probed() -> None:
    routes = {pattern.name for pattern in websocket_urlpatterns + document_socket_routes}
    assert routes == set(SOCKET_ROUTES), "add the new socket route to SOCKET_ROUTES"
    assert set(topics.kinds()) == set(TOPIC_PROBES), "add a TopicProbe for the new topic kind"


def _versions(world: World) -> list[tuple[int, int, int]]:
    return list(
        Task.all_objects.filter(workspace=world.workspace)
        .order_by("pk")
        .values_list("pk", "version", "state_id")
    )


@pytest.mark.parametrize("route", sorted(SOCKET_ROUTES))
def test_a_socket_under_another_workspaces_slug_is_404(route, world: World, world_b: World):
    headers = session_headers(world.owner)

    async def body() -> None:
        communicator = await opened(socket(world_b.workspace.slug, headers))
        await send(communicator, op="subscribe", topic="notifications")
        assert (await closed_with(communicator))["code"] == errors.NOT_FOUND

    run(body)


@pytest.mark.parametrize("kind", sorted(k for k, p in TOPIC_PROBES.items() if p.has_reference))
def test_another_workspaces_object_cannot_be_followed(kind: str, world: World, world_b: World):
    stage_board(world)
    staged_b = stage_board(world_b)
    # B's object by its id; for keys (shared by both tenants' "ENG" teams) a number only B has.
    topic = TOPIC_PROBES[kind].topic(world_b, staged_b)
    if kind == "task":
        topic = f"task:ENG-{max(t.number for t in staged_b['tasks']) + 50}"
    headers = session_headers(world.owner)
    before = _versions(world_b)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        await send(communicator, op="subscribe", topic=topic)
        assert (await closed_with(communicator))["code"] == errors.NOT_FOUND

    run(body)
    assert _versions(world_b) == before


@pytest.mark.parametrize("kind", sorted(TOPIC_PROBES))
def test_another_workspaces_changes_reach_none_of_my_sockets(
    kind: str, world: World, world_b: World
) -> None:
    probe = TOPIC_PROBES[kind]
    staged_a, staged_b = stage_board(world), stage_board(world_b)
    mine, theirs = session_headers(world.owner), session_headers(world_b.owner)
    # Named before the loop runs: a topic may need its object made (a document).
    topic_a, topic_b = probe.topic(world, staged_a), probe.topic(world_b, staged_b)

    async def body() -> None:
        a = await opened(socket(world.workspace.slug, mine))
        b = await opened(socket(world_b.workspace.slug, theirs))
        await subscribed(a, topic_a)
        await subscribed(b, topic_b)
        await drain(a)
        await database_sync_to_async(probe.change)(world_b, staged_b)
        # B's socket hears it (so the silence below is not a broken pipe) …
        assert (await next_of(b, probe.hears))["type"] == probe.hears
        # … and A's hears nothing at all, not even presence.
        assert await a.receive_nothing(timeout=0.5)
        await a.disconnect()
        await b.disconnect()

    run(body)


def test_a_move_naming_another_workspaces_column_is_404_and_changes_nothing(
    world: World, world_b: World
) -> None:
    staged_a, staged_b = stage_board(world), stage_board(world_b)
    headers = session_headers(world.owner)
    task = staged_a["tasks"][0]
    before_a, before_b = _versions(world), _versions(world_b)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        await subscribed(communicator, f"board:{world.team.pk}")
        await send(
            communicator,
            op="move",
            topic=f"board:{world.team.pk}",
            key=task.key,
            version=task.version,
            state=staged_b["doing"].pk,
        )
        assert (await closed_with(communicator))["code"] == errors.NOT_FOUND

    run(body)
    assert (_versions(world), _versions(world_b)) == (before_a, before_b)
