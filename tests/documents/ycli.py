"""A Yjs client in Python (pycrdt) speaking the document socket's sync protocol, for tests.

It does what the page's client (static/js/documents.js) does: answer the server's step 1 with
step 2, send its own step 1, send every local change as an update, apply what arrives.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.testing import WebsocketCommunicator
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from documents import crdt, richtext
from documents.consumers import STEP1, STEP2, UPDATE, parse, sync_message


def document_socket(slug: str, document_id: int, headers: list) -> WebsocketCommunicator:
    from alignment.asgi import application

    return WebsocketCommunicator(
        application, f"/ws/w/{slug}/documents/{document_id}/", headers=headers
    )


class YClient:
    def __init__(self, communicator: WebsocketCommunicator, doc: Doc | None = None) -> None:
        self.ws = communicator
        self.doc = doc or Doc()
        self.body = self.doc.get(crdt.BODY, type=XmlFragment)
        self.saved: list[int] = []
        self.viewers: list[dict[str, Any]] = []
        self.closed: dict[str, Any] | None = None
        self.online = False
        self.pending: list[bytes] = []
        self._sub = self.doc.observe(self._local)
        self._applying = False

    def _local(self, event: Any) -> None:
        if self._applying:
            return
        self.pending.append(event.update)

    async def connect(self) -> YClient:
        connected, _ = await self.ws.connect(timeout=5)
        assert connected
        self.online = True
        await self.ws.send_to(bytes_data=sync_message(STEP1, self.doc.get_state()))
        return self

    async def flush(self) -> None:
        """Send the local changes made since the last flush (as the page does on each edit)."""
        while self.pending:
            await self.ws.send_to(bytes_data=sync_message(UPDATE, self.pending.pop(0)))

    def type(self, index: int, chars: str) -> None:
        with self.doc.transaction():  # one update, as one keystroke of the page makes
            text = first_text(self.doc)
            text.insert(min(index, len(text)), chars)

    async def pump(self, quiet: float = 0.2) -> None:
        """Handle everything the server sent until it is quiet for `quiet` seconds."""
        while not await self.ws.receive_nothing(timeout=quiet):
            output = await self.ws.receive_output()
            await self._handle(output)
            if self.closed:
                return

    async def _handle(self, output: dict[str, Any]) -> None:
        if output["type"] == "websocket.close":
            self.closed = output
            return
        if output.get("bytes") is not None:
            kind, sync_type, payload = parse(output["bytes"])
            if sync_type == STEP1:
                await self.ws.send_to(bytes_data=sync_message(STEP2, self.doc.get_update(payload)))
            elif sync_type in (STEP2, UPDATE):
                self._applying = True
                try:
                    self.doc.apply_update(payload)
                finally:
                    self._applying = False
            return
        message = json.loads(output["text"])
        if message.get("type") == "saved":
            self.saved.append(message["id"])
        elif message.get("type") == "presence":
            self.viewers = message["viewers"]

    async def close_reason(self, timeout: float = 5) -> dict[str, Any]:
        while self.closed is None:
            await self._handle(await self.ws.receive_output(timeout=timeout))
        return self.closed

    async def disconnect(self) -> None:
        self.online = False
        await self.ws.disconnect()

    def plain(self) -> str:
        """The characters of the body with no Markdown (what was typed, unescaped)."""
        return richtext.plain_text(self.body)

    def __str__(self) -> str:
        return richtext.markdown_of(self.body)


async def settle(clients: list[YClient], rounds: int = 3) -> None:
    for _ in range(rounds):
        for client in clients:
            await client.flush()
        await asyncio.gather(*(c.pump() for c in clients))


def first_text(doc: Doc) -> XmlText:
    """The text of the body's first paragraph, as the page's editor types into it (made if the
    body has none yet, as ProseMirror would on the first keystroke)."""
    body = doc.get(crdt.BODY, type=XmlFragment)
    paragraph = next((c for c in body.children if isinstance(c, XmlElement)), None)
    if paragraph is None:
        paragraph = body.children.append(XmlElement("paragraph"))
    text = next((c for c in paragraph.children if isinstance(c, XmlText)), None)
    if text is None:
        text = paragraph.children.append(XmlText())
    return text
