"""The document socket, `/ws/w/<slug>/documents/<id>/`: the Yjs sync protocol plus presence.

It is a `LiveConsumer` (authentication, workspace, frame limits, presence), subscribed at
connect to `document:<id>`. Binary frames are y-protocols messages:
    [0, 0, state vector]  sync step 1 -> the server answers step 2 (what the client lacks)
    [0, 1, update]        sync step 2 -> stored like an update (the client's offline edits)
    [0, 2, update]        update      -> validated, relayed to the other editors at once,
                                         stored in a batch (documents.writer), acknowledged
    [1, awareness update] awareness   -> checked, stamped with the sender's name and colour,
                                         relayed to the other editors; never stored
                                         (documents.awareness)
On connect the server sends its own step 1, so a client returning from offline answers with
exactly the edits the server lacks. After an update is stored the client gets the JSON
`{"type": "saved", "topic": …, "id": …}`: nothing acknowledged can be lost on a restart.
Peers hear an update before it is stored: Yjs updates are idempotent and commutative, so one
that is stored a moment later, or never (a failed write closes the sender's socket with 1011
and acknowledges nothing; its page resends on reconnect), cannot make editors diverge.
Bad input closes the socket and stores nothing: 4400 malformed, 1009 too big, 4403 an edit
from a viewer (or a read-only token), 4404 an unknown or foreign document.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError
from pycrdt import Decoder, YMessageType, YSyncMessageType, write_var_uint

from documents import awareness, crdt, services, writer
from documents.live_topics import yjs_group
from live.consumers import LiveConsumer
from live.errors import BadFrame, Forbidden, FrameTooBig, NotFound, SocketRefused

logger = logging.getLogger(__name__)

SYNC, AWARENESS = YMessageType.SYNC, YMessageType.AWARENESS
STEP1, STEP2, UPDATE = (
    YSyncMessageType.SYNC_STEP1,
    YSyncMessageType.SYNC_STEP2,
    YSyncMessageType.SYNC_UPDATE,
)


def sync_message(kind: int, payload: bytes) -> bytes:
    """[0, kind, varuint length, payload] as y-protocols writes it."""
    return bytes([SYNC, kind]) + write_var_uint(len(payload)) + payload


def parse(frame: bytes) -> tuple[int, int, bytes]:
    """(message type, sync type, payload) of a binary frame, or BadFrame."""
    if len(frame) < 2:
        raise BadFrame("binary frame too short for a Yjs message")
    if frame[0] == AWARENESS:
        kind, sync_type, rest = AWARENESS, -1, frame[1:]
    elif frame[0] == SYNC and frame[1] in (STEP1, STEP2, UPDATE):
        kind, sync_type, rest = SYNC, frame[1], frame[2:]
    else:
        raise BadFrame("unknown Yjs message type")
    try:
        payload = Decoder(rest).read_message()
    except Exception as exc:
        raise BadFrame("malformed Yjs message") from exc
    if payload is None:
        raise BadFrame("malformed Yjs message")
    return kind, sync_type, payload


def awareness_message(update: bytes) -> bytes:
    """[1, varuint length, awareness update] as y-protocols writes it."""
    return bytes([AWARENESS]) + write_var_uint(len(update)) + update


# Documents whose text and mentions are due a refresh in this process: one pending refresh
# per document, however many editors type into it.
_refresh_due: dict[int, asyncio.Task[None]] = {}


def schedule_text_refresh(document_id: int) -> None:
    """Refresh the document's searchable text and mentions (backlinks) once typing pauses for
    DOCUMENTS_TEXT_REFRESH_SECONDS: reading the whole text on every keystroke of 50 editors
    would cost more than storing their keystrokes. A socket's close refreshes at once."""
    pending = _refresh_due.get(document_id)
    # A task of a loop that has ended (a test's, a restarted worker's) never runs: replace it.
    if pending is not None and not pending.done() and pending.get_loop().is_running():
        return

    async def later() -> None:
        try:
            await asyncio.sleep(settings.DOCUMENTS_TEXT_REFRESH_SECONDS)
        finally:
            _refresh_due.pop(document_id, None)
        try:
            await database_sync_to_async(crdt.refresh_text_of)(document_id)
        except Exception:  # the next edit, compaction or close refreshes again
            logger.warning("documents: text refresh failed", exc_info=True)

    _refresh_due[document_id] = asyncio.ensure_future(later())


class WriteFailed(SocketRefused):
    """The database did not take an edit: close so the page reconnects and sends it again
    (1011 is the protocol's "unexpected condition"; the page retries anything below 4400)."""

    code = 1011


class DocumentConsumer(LiveConsumer):
    document_id: int
    topic: str

    async def connect(self) -> None:
        await super().connect()
        if getattr(self, "closed", False) or not hasattr(self, "access"):
            return
        self.topic = f"document:{self.scope['url_route']['kwargs']['document_id']}"
        try:
            await self.subscribe(self.topic)
        except SocketRefused as refusal:
            await self.refuse(refusal)
            return
        self.document_id = self.subscriptions[self.topic].context["document_id"]
        self._acknowledgements: set[asyncio.Task[None]] = set()
        self.yjs_group = yjs_group(self.access.workspace_id, self.document_id)
        await self.channel_layer.group_add(self.yjs_group, self.channel_name)
        state = await database_sync_to_async(self._state_vector)()
        await self.send(bytes_data=sync_message(STEP1, state))
        # Awareness lives only in the pages: ask the others for their carets (each answers
        # this socket alone with its page's last state, so a join costs n messages, not n²).
        self.awareness_clocks: dict[int, int] = {}
        self.last_awareness: bytes | None = None
        await self.channel_layer.group_send(
            self.yjs_group,
            {"type": "document.awareness_hello", "data": {"reply_to": self.channel_name}},
        )

    def _document(self) -> Any:
        document = services.document_for(self.access.membership, self.document_id)
        if document is None:  # deleted (or its team hidden) while the socket was open
            raise NotFound("no such document")
        return document

    def _state_vector(self) -> bytes:
        return bytes(crdt.load(self._document()).get_state())

    def _diff(self, state_vector: bytes) -> bytes:
        return bytes(crdt.load(self._document()).get_update(state_vector))

    async def receive_frame(self, frame: dict[str, Any]) -> None:
        # JSON: ping only; the topic was chosen by the URL, so no (un)subscribing here.
        if frame.get("op") != "ping":
            raise BadFrame("a document socket takes Yjs binary frames and 'ping'")
        await self.send_json({"type": "pong"})

    async def receive_bytes(self, data: bytes) -> None:
        if not hasattr(self, "document_id"):
            return
        if len(data) > settings.DOCUMENTS_MAX_UPDATE_BYTES:
            raise FrameTooBig(f"updates are limited to {settings.DOCUMENTS_MAX_UPDATE_BYTES} bytes")
        if data[:1] == bytes([AWARENESS]) and len(data) > settings.DOCUMENTS_MAX_AWARENESS_BYTES:
            raise FrameTooBig(
                f"awareness is limited to {settings.DOCUMENTS_MAX_AWARENESS_BYTES} bytes"
            )
        kind, sync_type, payload = parse(data)
        if kind == AWARENESS:
            await self._relay_awareness(payload)
            return
        if sync_type == STEP1:
            try:
                diff = await database_sync_to_async(self._diff)(payload)
            except Exception as exc:
                raise BadFrame("malformed state vector") from exc
            await self.send(bytes_data=sync_message(STEP2, diff))
            return
        if payload == crdt.EMPTY_UPDATE:
            return  # "nothing to add": a viewer's answer to step 1 too
        if not self.subscriptions[self.topic].can_write:
            raise Forbidden("this socket may not edit (viewer or read-only token)")
        try:
            crdt.validate_update(payload)
        except crdt.InvalidUpdate as exc:
            raise BadFrame(str(exc)) from exc
        # Relayed before it is stored: the others see the keystroke without waiting for the
        # database, and this socket goes on reading while its update waits for its batch.
        await self.channel_layer.group_send(
            self.yjs_group,
            {"type": "document.update", "data": {"update": payload, "sender": self.channel_name}},
        )
        # No access query per keystroke: the subscription was checked when the socket joined
        # and is re-checked every LIVE_ACCESS_RECHECK_SECONDS (live/consumers.py), like every
        # topic. A document deleted meanwhile fails its foreign key at commit.
        stored = await writer.submit(
            document_id=self.document_id,
            workspace_id=self.access.workspace_id,
            data=payload,
            author_id=self.access.membership.user_id,
        )
        acknowledgement = asyncio.ensure_future(self._acknowledge(stored))
        self._acknowledgements.add(acknowledgement)  # a task nobody holds may be collected
        acknowledgement.add_done_callback(self._acknowledgements.discard)

    async def _acknowledge(self, stored: asyncio.Future[int]) -> None:
        """Say "saved" once the update's batch has committed; close if it did not."""
        try:
            update_id = await stored
        except IntegrityError:
            await self._close_unless_closed(NotFound("no such document"))
            return
        except Exception:  # logged by the writer; the page resends after reconnecting
            await self._close_unless_closed(WriteFailed("the edit was not saved; reconnect"))
            return
        schedule_text_refresh(self.document_id)
        await self.send_json({"type": "saved", "topic": self.topic, "id": update_id})

    async def _close_unless_closed(self, refusal: SocketRefused) -> None:
        if not getattr(self, "closed", False):
            await self.refuse(refusal)

    async def _relay_awareness(self, payload: bytes) -> None:
        """A caret or selection moved: stamp it with who this socket is and pass it on.
        Viewers may send it too (it changes nothing stored); it is never written anywhere."""
        try:
            entries = awareness.decode(payload)
        except awareness.InvalidAwareness as exc:
            raise BadFrame(f"malformed awareness: {exc}") from exc
        viewer = self.viewer
        stamped = awareness.encode(awareness.stamped(entries, viewer["id"], viewer["name"]))
        for entry in entries:
            self.awareness_clocks[entry.client_id] = entry.clock
        if len(self.awareness_clocks) > awareness.MAX_STATES:
            raise BadFrame("too many awareness clients on one socket")
        self.last_awareness = stamped
        await self.channel_layer.group_send(
            self.yjs_group,
            {
                "type": "document.awareness",
                "data": {"update": stamped, "sender": self.channel_name},
            },
        )

    async def document_awareness(self, message: dict[str, Any]) -> None:
        """Another page's caret (or its departure): forwarded as y-protocols' message 1."""
        data = message["data"]
        if data.get("sender") == self.channel_name or getattr(self, "closed", False):
            return
        await self.send(bytes_data=awareness_message(data["update"]))

    async def document_awareness_hello(self, message: dict[str, Any]) -> None:
        """A page joined: tell it (only it) where this page's caret is."""
        reply_to = message["data"]["reply_to"]
        if reply_to == self.channel_name or getattr(self, "last_awareness", None) is None:
            return
        await self.channel_layer.send(
            reply_to,
            {
                "type": "document.awareness",
                "data": {"update": self.last_awareness, "sender": self.channel_name},
            },
        )

    async def document_update(self, message: dict[str, Any]) -> None:
        """Someone else's validated update (or a restore): relay it to this page."""
        data = message["data"]
        if data.get("sender") == self.channel_name or getattr(self, "closed", False):
            return
        await self.send(bytes_data=sync_message(UPDATE, data["update"]))

    async def disconnect(self, code: int) -> None:
        refresh = hasattr(self, "document_id") and bool(getattr(self, "subscriptions", None))
        try:
            if getattr(self, "awareness_clocks", None):
                await self.channel_layer.group_send(
                    self.yjs_group,
                    {
                        "type": "document.awareness",
                        "data": {
                            "update": awareness.departure(self.awareness_clocks),
                            "sender": self.channel_name,
                        },
                    },
                )
            if hasattr(self, "yjs_group"):
                await self.channel_layer.group_discard(self.yjs_group, self.channel_name)
        finally:
            # Leaving presence and the topic groups must never be skipped: a socket that failed
            # here would stay "also here" on every other page for good.
            await super().disconnect(code)
        if refresh:
            try:
                await database_sync_to_async(self._refresh_text)()
            except Exception:  # the text is read again by the next edit, compaction or close
                logger.warning("documents: text refresh on close failed", exc_info=True)

    def _refresh_text(self) -> None:
        document = services.document_for(self.access.membership, self.document_id)
        if document is not None:
            crdt.refresh_text(document)
