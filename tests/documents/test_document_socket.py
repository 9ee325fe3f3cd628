"""The document socket with real pycrdt clients: convergence, offline merge, restart, bad input."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import OperationalError

from documents import crdt, services
from documents.consumers import STEP1, UPDATE, DocumentConsumer, sync_message
from documents.models import Document, DocumentUpdate
from tests.conftest import World
from tests.documents.ycli import YClient, document_socket, settle
from tests.live.conftest import run, session_headers, token_headers

pytestmark = pytest.mark.django_db(transaction=True)


def make_document(world: World, **kwargs) -> Document:
    return services.create_document(actor=world.member, title="Spec", **kwargs)


def client(world: World, document: Document, role: str = "member", headers=None) -> YClient:
    headers = headers or session_headers(world.membership(role))
    return YClient(document_socket(world.workspace.slug, document.pk, headers))


def stored_text(document_id: int) -> str:
    return crdt.text_of(Document.objects.get(pk=document_id))


def test_two_clients_converge_on_every_edit(world: World) -> None:
    document = make_document(world, text="hello")

    a, b = client(world, document), client(world, document, "admin")

    async def body() -> None:
        await a.connect()
        await b.connect()
        await settle([a, b])
        assert str(a) == str(b) == "hello"
        rng = random.Random(7)
        for step in range(15):
            # both type at the same place before hearing of each other: concurrent edits
            a.type(rng.randint(0, len(str(a))), f"a{step}")
            b.type(rng.randint(0, len(str(b))), f"b{step}")
            await settle([a, b])
            assert str(a) == str(b)
        # every keystroke is there (typing inside another's word splits it, loses nothing)
        typed = "hello" + "".join(f"a{n}b{n}" for n in range(15))
        assert Counter(str(a)) == Counter(typed)
        assert await database_sync_to_async(stored_text)(document.pk) == str(a)
        assert len(a.saved) == 15
        assert len(b.saved) == 15
        await a.disconnect()
        await b.disconnect()

    run(body)


def test_five_clients_converge(world: World) -> None:
    document = make_document(world)
    roles = ["member", "admin", "owner", "member", "admin"]

    clients = [client(world, document, role) for role in roles]

    async def body() -> None:
        for c in clients:
            await c.connect()
        await settle(clients)
        for step in range(6):
            for n, c in enumerate(clients):
                c.type(step % 3, f"[{n}.{step}]")
            await settle(clients)
            assert len({str(c) for c in clients}) == 1
        text = str(clients[0])  # Markdown: the brackets escaped
        assert Counter(clients[0].plain()) == Counter(
            "".join(f"[{n}.{s}]" for n in range(5) for s in range(6))
        )
        assert await database_sync_to_async(stored_text)(document.pk) == text
        for c in clients:
            await c.disconnect()

    run(body)


def test_offline_edits_merge_on_reconnect(world: World) -> None:
    document = make_document(world, text="base")

    a, b = client(world, document), client(world, document, "admin")
    back_headers = session_headers(world.member)

    async def body() -> None:
        await a.connect()
        await b.connect()
        await settle([a, b])
        await a.disconnect()
        a.type(0, "offline-")  # a edits with no socket
        b.type(4, "-online")
        await settle([b])
        # a comes back with the same Doc: sync step 1/2 both ways exchanges the differences
        back = YClient(document_socket(world.workspace.slug, document.pk, back_headers), doc=a.doc)
        await back.connect()
        await settle([back, b])
        assert str(back) == str(b) == "offline-base-online"
        assert await database_sync_to_async(stored_text)(document.pk) == str(b)
        await back.disconnect()
        await b.disconnect()

    run(body)


def test_acknowledged_updates_survive_a_restart(world: World) -> None:
    document = make_document(world)

    a = client(world, document)

    async def body() -> None:
        await a.connect()
        await settle([a])
        for n in range(5):
            a.type(len(str(a)), f"{n};")
            await settle([a])
        assert len(a.saved) == 5
        await a.disconnect()

    run(body)
    # "Restart": nothing in memory survives; a fresh client loads from the database alone.
    from channels.layers import channel_layers

    channel_layers.backends.clear()

    fresh = client(world, document, "viewer")

    async def after() -> None:
        await fresh.connect()
        await settle([fresh])
        assert str(fresh) == "0;1;2;3;4;"
        await fresh.disconnect()

    run(after)


def test_compaction_keeps_the_text(world: World, settings) -> None:
    settings.DOCUMENTS_COMPACT_EVERY = 4
    document = make_document(world, text="x")

    a = client(world, document)

    async def body() -> None:
        await a.connect()
        await settle([a])
        for n in range(9):
            a.type(0, str(n))
            await settle([a])
        await a.disconnect()

    run(body)
    assert DocumentUpdate.objects.filter(document=document).count() < 4
    assert stored_text(document.pk) == "876543210x"
    assert Document.objects.get(pk=document.pk).body_text.endswith("x")


def test_presence_lists_the_other_viewers(world: World) -> None:
    document = make_document(world)

    a, b = client(world, document), client(world, document, "viewer")

    async def body() -> None:
        await a.connect()
        await b.connect()
        await settle([a, b])
        assert [v["name"] for v in a.viewers] == [world.viewer.user.display_name]
        assert [v["name"] for v in b.viewers] == [world.member.user.display_name]
        await a.disconnect()
        await b.disconnect()

    run(body)


def test_a_close_whose_text_refresh_fails_still_leaves_presence(
    world: World, monkeypatch, caplog
) -> None:
    """The close refreshes the searchable text; when the database refuses that (a deadlock
    with another editor's save), the socket must still leave the others' presence roster."""

    def refused(self) -> None:
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(DocumentConsumer, "_refresh_text", refused)
    document = make_document(world)
    a, b = client(world, document), client(world, document, "viewer")

    async def body() -> None:
        await a.connect()
        await b.connect()
        await settle([a, b])
        assert [v["name"] for v in b.viewers] == [world.member.user.display_name]
        await a.disconnect()
        await asyncio.sleep(settings.LIVE_PRESENCE_COALESCE_SECONDS)
        await b.pump()
        assert b.viewers == []
        await b.disconnect()

    run(body)
    assert "text refresh on close failed" in caplog.text


class _ServerOfAGoneClient:
    """The ASGI server of a client that has just left: once `gone`, every send raises an
    OSError, as uvicorn's does on a closed connection (and the ASGI spec asks of servers)."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.gone = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def sending(message: dict[str, Any]) -> None:
            if self.gone:
                raise OSError("the client disconnected")
            await send(message)

        await self.application(scope, receive, sending)


def test_a_client_gone_while_a_message_is_sent_to_it_leaves_presence(world: World) -> None:
    """A browser tab closed while an edit was being relayed to it: the send fails, and the
    socket must still leave the roster and its groups (it used to stay "also here")."""
    from alignment.asgi import application

    document = make_document(world)
    server = _ServerOfAGoneClient(application)
    path = f"/ws/w/{world.workspace.slug}/documents/{document.pk}/"
    leaving = YClient(
        WebsocketCommunicator(server, path, headers=session_headers(world.membership("member")))
    )
    staying = client(world, document, "admin")

    async def body() -> None:
        await leaving.connect()
        await staying.connect()
        await settle([leaving, staying])
        assert [v["name"] for v in staying.viewers] == [world.member.user.display_name]
        server.gone = True
        staying.type(0, "x")  # relayed to the leaving socket, whose send fails
        await staying.flush()
        await leaving.ws.wait(timeout=5)  # its consumer ended, without an error
        await asyncio.sleep(settings.LIVE_PRESENCE_COALESCE_SECONDS)
        await staying.pump()
        assert staying.viewers == []
        await staying.disconnect()

    run(body)


async def _refused(c: YClient, frame: bytes | None = None) -> int:
    if frame is not None:
        await c.ws.send_to(bytes_data=frame)
    return (await c.close_reason())["code"]


def _edit_update(text: str) -> bytes:
    return crdt.initial_state(text)[0]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x00", 4400),  # too short
        (b"\x07\x00\x01\x00", 4400),  # unknown message type
        (b"\x00\x02\xff\xff", 4400),  # truncated length
        (sync_message(UPDATE, b"\xff\xff\xff\xff\xff"), 4400),  # not a Yjs update
        (sync_message(STEP1, b"\xff\xff\xff"), 4400),  # not a state vector
        (sync_message(UPDATE, b"\x00" * 300_000), 1009),  # oversized
    ],
)
def test_bad_frames_close_the_socket_and_change_nothing(world: World, frame, code) -> None:
    document = make_document(world, text="keep")

    c = client(world, document)

    async def body() -> None:
        await c.connect()
        await c.pump()
        assert await _refused(c, frame) == code

    run(body)
    assert DocumentUpdate.objects.filter(document=document).count() == 0
    assert stored_text(document.pk) == "keep"


def test_viewer_and_read_token_cannot_edit(world: World) -> None:
    document = make_document(world, text="keep")

    sockets = (
        client(world, document, "viewer"),
        client(world, document, headers=token_headers(world.member, scope="read")),
    )

    async def body() -> None:
        for c in sockets:
            await c.connect()
            await c.pump()
            assert await _refused(c, sync_message(UPDATE, _edit_update("x"))) == 4403

    run(body)
    assert stored_text(document.pk) == "keep"


def test_unknown_and_foreign_documents_are_4404(world: World, world_b: World) -> None:
    foreign = make_document(world_b)
    mine = make_document(world)

    headers = session_headers(world.member)

    async def body() -> None:
        for slug, doc_id in (
            (world.workspace.slug, foreign.pk),
            (world.workspace.slug, 999_999),
            (world_b.workspace.slug, mine.pk),
        ):
            c = YClient(document_socket(slug, doc_id, headers))
            connected, _ = await c.ws.connect(timeout=5)
            assert connected
            assert (await c.close_reason())["code"] == 4404

    run(body)


def test_private_team_document_hidden_from_non_members(world: World) -> None:
    from tests.factories import TeamFactory

    private = TeamFactory(workspace=world.workspace, is_private=True)
    document = services.create_document(actor=world.owner, title="Secret", team=private)

    c = client(world, document, "member")

    async def body() -> None:
        await c.ws.connect(timeout=5)
        assert (await c.close_reason())["code"] == 4404

    run(body)


def test_updates_reach_only_the_same_document(world: World) -> None:
    one, two = make_document(world), make_document(world)

    a, b = client(world, one), client(world, two, "admin")

    async def body() -> None:
        await a.connect()
        await b.connect()
        await settle([a, b])
        a.type(0, "only one")
        await settle([a, b])
        assert str(b) == ""
        await asyncio.gather(a.disconnect(), b.disconnect())

    run(body)


def test_typing_refreshes_search_text_and_backlinks_once_it_pauses(world: World, settings) -> None:
    """A keystroke stores only its update; the text and mentions follow once typing pauses,
    while the socket is still open (not only when it closes)."""
    from documents.models import DocumentMention
    from tests.factories.work import TaskFactory

    settings.DOCUMENTS_TEXT_REFRESH_SECONDS = 0.2
    task = TaskFactory(team=world.team)
    document = make_document(world, text="notes")
    a = client(world, document)

    def mentioned() -> set[int]:
        rows = DocumentMention.objects.filter(document_id=document.pk, kind="task")
        return set(rows.values_list("object_id", flat=True))

    def body_text() -> str:
        return Document.objects.get(pk=document.pk).body_text

    async def body() -> None:
        await a.connect()
        await settle([a])
        a.type(len(str(a)), f" see @task:{task.key}")
        await a.flush()
        await a.pump(0.05)
        assert a.saved  # acknowledged at once...
        assert await database_sync_to_async(mentioned)() == set()  # ...refreshed later
        await a.pump(0.6)
        assert await database_sync_to_async(mentioned)() == {task.pk}
        assert f"@task:{task.key}" in await database_sync_to_async(body_text)()
        await a.disconnect()

    run(body)
