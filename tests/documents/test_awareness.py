"""Carets and selections (Yjs awareness) over the document socket: relayed to the other
editors with the sender's real name and colour, never stored, size-limited, and a leaving
page's caret is withdrawn."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pycrdt import write_var_uint

from documents import awareness, services
from documents.consumers import AWARENESS, awareness_message, parse
from documents.models import Document, DocumentUpdate
from tests.conftest import World
from tests.documents.ycli import YClient, document_socket
from tests.live.conftest import run, session_headers

pytestmark = pytest.mark.django_db(transaction=True)


class AwareClient(YClient):
    """A YClient that also keeps the awareness entries it hears."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heard: list[awareness.Entry] = []

    async def _handle(self, output: dict[str, Any]) -> None:
        if output.get("bytes") is not None:
            kind, _, payload = parse(output["bytes"])
            if kind == AWARENESS:
                self.heard.extend(awareness.decode(payload))
                return
        await super()._handle(output)

    async def say(self, client_id: int, clock: int, state: dict | None) -> None:
        update = awareness.encode([awareness.Entry(client_id, clock, state)])
        await self.ws.send_to(bytes_data=awareness_message(update))


def client(world: World, document: Document, role: str = "member") -> AwareClient:
    headers = session_headers(world.membership(role))
    return AwareClient(document_socket(world.workspace.slug, document.pk, headers))


CARET = {"cursor": {"anchor": {"type": None, "tname": "body", "item": None, "assoc": 0}}}


def test_a_caret_reaches_the_others_under_the_senders_own_name(world: World) -> None:
    document = services.create_document(actor=world.member, title="Spec", text="hello")
    a, b = client(world, document), client(world, document, "viewer")
    c = client(world, document, "admin")
    updates_before = DocumentUpdate.objects.count()
    member, viewer_name = world.member.user, world.viewer.user.display_name

    async def body() -> None:
        await a.connect()
        await b.connect()
        await a.pump()
        await b.pump()
        # The page claims to be someone else: the server writes who the socket really is.
        await a.say(111, 1, {**CARET, "user": {"name": "Mallory", "color": "#000"}})
        await b.pump()
        assert b.heard == [
            awareness.Entry(
                111,
                1,
                {
                    **CARET,
                    "user": {
                        "id": member.pk,
                        "name": member.display_name,
                        "color": awareness.colour_of(member.pk),
                    },
                },
            )
        ]
        # A viewer's caret travels too (it changes nothing stored).
        await b.say(222, 1, CARET)
        await a.pump()
        assert [e.client_id for e in a.heard] == [222]
        assert a.heard[0].state["user"]["name"] == viewer_name
        # A newcomer hears both carets at once, without anyone moving.
        await c.connect()
        await c.pump()
        assert sorted(e.client_id for e in c.heard) == [111, 222]
        # A page that leaves has its caret withdrawn (state null, a later clock).
        await a.disconnect()
        await c.pump()
        assert c.heard[-1] == awareness.Entry(111, 2, None)
        await b.disconnect()
        await c.disconnect()

    run(body)
    assert DocumentUpdate.objects.count() == updates_before  # awareness is never stored


def _frame(entries: list[tuple[int, int, str]]) -> bytes:
    out = bytearray(write_var_uint(len(entries)))
    for client_id, clock, raw in entries:
        data = raw.encode()
        out += bytes([client_id, clock]) + write_var_uint(len(data)) + data
    return awareness_message(bytes(out))


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (_frame([(1, 1, "[1, 2]")]), 4400),  # a state that is not an object
        (_frame([(1, 1, "{nope")]), 4400),  # not JSON
        (_frame([(n, 1, "{}") for n in range(5)]), 4400),  # more states than a page has
        (awareness_message(b"\x01\x05\x01\x40{}"), 4400),  # a state longer than the frame
        (awareness_message(b"\x00"), 4400),  # no state at all
        (_frame([(1, 1, json.dumps({"pad": "x" * 5000}))]), 1009),  # oversized
    ],
)
def test_bad_awareness_closes_the_socket(world: World, frame: bytes, code: int) -> None:
    document = services.create_document(actor=world.member, title="Spec", text="hello")
    a, b = client(world, document), client(world, document)

    async def body() -> None:
        await a.connect()
        await b.connect()
        await a.pump()
        await b.ws.send_to(bytes_data=frame)
        assert (await b.close_reason())["code"] == code
        await a.pump()
        assert a.heard == []  # nothing of it reached the others
        await a.disconnect()

    run(body)
