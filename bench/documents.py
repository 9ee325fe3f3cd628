"""`make bench-documents`: many editors typing into one document; delivery latency and memory.

    .venv/bin/python -m bench.documents                      # 50 editors, 10 keys each
    BENCH_DOCUMENTS=ci .venv/bin/python -m bench.documents   # CI-sized: 5 editors, 5 keys

Bounded and self-contained like bench/live.py (both run on bench/asgi_stack.py): a SQLite
database in a temporary folder (or DATABASE_URL), the ASGI app under one uvicorn process, the
in-memory channel layer (or Redis with BENCH_REDIS_URL). EDITORS pycrdt clients speak the
page's Yjs sync protocol on the document socket (`/ws/w/<slug>/documents/<id>/`) and type at
the same time: each inserts KEYS characters at random places, RATE keys a second, and moves its
caret (an awareness frame) after each key. The server relays an update as soon as it is
validated and stores it in a batch (documents.writer) before acknowledging it, so a delivery's
latency — from the sender's send to another editor receiving those exact bytes — no longer
includes the write, and the "saved" latency (from the send to the sender's acknowledgement,
paired in order per socket) does. Reported: p50/p95/max over every (update, other editor) pair,
the same for carets and for acknowledgements, missed deliveries, whether all editors and the
stored text end identical with every keystroke, and the server's resident memory; merged into
bench/results.json under "documents". Exits non-zero on a missed delivery or a divergence."""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import string
import sys
import time
from collections import Counter
from typing import Any

from bench.asgi_stack import report, rss_kib, stack

# Plain Python: no Django needed in the measuring process.
from documents import awareness
from documents.richtext import BODY, plain_text

# The y-protocols framing as documents.consumers speaks it (that module needs Django set up).
SYNC, AWARENESS, STEP1, STEP2, UPDATE = 0, 1, 0, 1, 2


def sync_message(kind: int, payload: bytes) -> bytes:
    from pycrdt import write_var_uint

    return bytes([SYNC, kind]) + write_var_uint(len(payload)) + payload


def awareness_message(update: bytes) -> bytes:
    from pycrdt import write_var_uint

    return bytes([AWARENESS]) + write_var_uint(len(update)) + update


def parse(frame: bytes) -> tuple[int, int, bytes]:
    from pycrdt import Decoder

    if frame[0] == AWARENESS:
        return AWARENESS, -1, Decoder(frame[1:]).read_message() or b""
    return SYNC, frame[1], Decoder(frame[2:]).read_message() or b""


INITIAL = "0123456789"
KEYS_OF_EDITORS = string.ascii_letters
# RATE: keys a second per editor; 50 editors at 0.2 are 10 stored updates a second.
SIZES = {
    "full": {"editors": 50, "keys": 10, "rate": 0.2},
    "ci": {"editors": 5, "keys": 5, "rate": 1.0},
}


def seed(editors: int) -> dict[str, Any]:
    """Run inside Django: a workspace, one document, `editors` members with sessions."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from alignment.models import Membership, Role, User, Workspace
    from documents import services

    workspace = Workspace.objects.create(name="Bench Documents", slug="bench-documents")
    cookies, memberships = [], []
    for i in range(editors):
        user = User.objects.create_user(email=f"e{i}@bench.example", password="x" * 12)
        memberships.append(
            Membership.objects.create(workspace=workspace, user=user, role=Role.MEMBER)
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "alignment.auth_backends.EmailBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    document = services.create_document(actor=memberships[0], title="Bench", text=INITIAL)
    return {"slug": workspace.slug, "document": document.pk, "cookies": cookies}


def stored_text(document_id: int) -> str:
    import django

    django.setup()
    from documents import crdt
    from documents.models import Document

    return plain_text(crdt.body_of(crdt.load(Document.objects.get(pk=document_id))))


class Editor:
    """One page's worth of Yjs client: a pycrdt Doc on a document socket."""

    def __init__(self, ws: Any, number: int) -> None:
        from pycrdt import Doc, XmlFragment

        self.ws, self.number = ws, number
        self.doc: Any = Doc()
        # The body as the page's editor holds it: paragraphs of text runs (documents.richtext).
        self.body = self.doc.get(BODY, type=XmlFragment)
        self.synced = asyncio.Event()
        self.saved = 0
        self.sent_at: list[float] = []  # this editor's updates, in sending order
        self.saved_at: list[float] = []  # its acknowledgements, in arrival order
        self.received: dict[bytes, float] = {}  # update or awareness bytes -> arrival time
        self.clock = 0
        self.reader: asyncio.Future[None] | None = None

    def first_text(self) -> Any:
        from pycrdt import XmlElement, XmlText

        paragraph = next(c for c in self.body.children if isinstance(c, XmlElement))
        return next(c for c in paragraph.children if isinstance(c, XmlText))

    def plain(self) -> str:
        return plain_text(self.body)

    async def read(self) -> None:
        async for raw in self.ws:
            if isinstance(raw, str):
                if json.loads(raw).get("type") == "saved":
                    self.saved += 1
                    self.saved_at.append(time.perf_counter())
                continue
            kind, sync_type, payload = parse(raw)
            if kind == AWARENESS:
                self.received[payload] = time.perf_counter()
            elif sync_type == STEP1:
                await self.ws.send(sync_message(STEP2, self.doc.get_update(payload)))
            else:
                self.doc.apply_update(payload)
                if sync_type == STEP2:
                    self.synced.set()
                else:
                    self.received[payload] = time.perf_counter()

    async def type_key(self, rng: random.Random, sent: dict[bytes, float]) -> tuple[str, bytes]:
        """Insert one character somewhere; send the update and a caret move after it."""
        # One distinct ASCII letter per editor, so the keystrokes can be counted (pycrdt indexes
        # text differently from Python past ASCII; a letter keeps the index exact).
        key = KEYS_OF_EDITORS[self.number % len(KEYS_OF_EDITORS)]
        before = self.doc.get_state()
        # Into the first paragraph's text, as a ProseMirror caret inside it types (the seeded
        # document has one paragraph, synced before anyone types).
        text = self.first_text()
        index = rng.randint(0, len(text))
        text.insert(index, key)
        update = self.doc.get_update(before)
        sent[update] = time.perf_counter()
        self.sent_at.append(sent[update])
        await self.ws.send(sync_message(UPDATE, update))
        self.clock += 1
        caret = awareness.encode(
            [awareness.Entry(self.doc.client_id, self.clock, {"cursor": {"index": index + 1}})]
        )
        return key, awareness_message(caret)


def summary(values: list[float]) -> dict[str, float]:
    """p50 / p95 / max / mean of latencies in seconds, in milliseconds."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0, "mean": 0.0}

    def pct(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {
        "p50": pct(0.5),
        "p95": pct(0.95),
        "max": pct(1.0),
        "mean": round(1000 * statistics.fmean(ordered), 1),
    }


async def open_editors(port: int, data: dict[str, Any], editors: int) -> list[Editor]:
    """Every editor connected and synced (sync step 1 answered), each with a reader task."""
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/w/{data['slug']}/documents/{data['document']}/"
    clients: list[Editor] = []
    for i in range(editors):
        ws = await websockets.connect(
            url,
            additional_headers={"Cookie": data["cookies"][i]},
            origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
            max_size=2**20,
            ping_interval=None,
        )
        editor = Editor(ws, i)
        editor.reader = asyncio.ensure_future(editor.read())
        await ws.send(sync_message(STEP1, editor.doc.get_state()))
        await asyncio.wait_for(editor.synced.wait(), 30)
        clients.append(editor)
    return clients


class Typing:
    """What the editors sent: each update's bytes and send time, each caret's, each key."""

    def __init__(self) -> None:
        self.updates: dict[bytes, float] = {}
        self.carets: list[tuple[int, int, float]] = []  # (editor's client id, clock, sent)
        self.typed: Counter[str] = Counter()

    async def typist(self, editor: Editor, keys: int, rate: float) -> None:
        rng = random.Random(editor.number)
        await asyncio.sleep(rng.random() / rate)  # not all in step
        for _ in range(keys):
            key, frame = await editor.type_key(rng, self.updates)
            self.typed[key] += 1
            await editor.ws.send(frame)
            self.carets.append((editor.doc.client_id, editor.clock, time.perf_counter()))
            await asyncio.sleep(1 / rate)

    async def settled(self, clients: list[Editor], keys: int) -> None:
        """Wait (bounded) until every editor has every update and every save is acknowledged."""
        deadline = time.perf_counter() + 30
        total = len(self.updates)
        while time.perf_counter() < deadline:
            if all(e.saved == keys for e in clients) and all(
                sum(1 for u in self.updates if u in e.received) >= total - keys for e in clients
            ):
                return
            await asyncio.sleep(0.05)

    def edit_latencies(self, clients: list[Editor]) -> list[float]:
        return [
            editor.received[update] - sent
            for update, sent in self.updates.items()
            for editor in clients
            if update in editor.received
        ]

    def caret_latencies(self, clients: list[Editor]) -> list[float]:
        # The server rewrites `user` into the bytes, so match them by (client, clock).
        sent_at = {(cid, clock): t for cid, clock, t in self.carets}
        latencies = []
        for editor in clients:
            for payload, arrived in editor.received.items():
                if payload in self.updates:
                    continue
                for entry in awareness.decode(payload):
                    t = sent_at.get((entry.client_id, entry.clock))
                    if t is not None and entry.state is not None:
                        latencies.append(arrived - t)
        return latencies


async def measure(
    port: int, data: dict[str, Any], editors: int, keys: int, rate: float, pid: int
) -> dict:
    rss_before = rss_kib(pid)
    clients = await open_editors(port, data, editors)
    await asyncio.sleep(2)  # presence settles
    rss_open = rss_kib(pid)

    typing = Typing()
    started = time.perf_counter()
    await asyncio.gather(*(typing.typist(e, keys, rate) for e in clients))
    typing_seconds = time.perf_counter() - started
    await typing.settled(clients, keys)
    rss_after = rss_kib(pid)
    live_texts = {e.plain() for e in clients}
    # Then each asks for what it lacks (sync step 1, as a page does when an update it holds
    # waits on one it never got, or on reconnect): a dropped relay must heal, not diverge.
    for editor in clients:
        await editor.ws.send(sync_message(STEP1, editor.doc.get_state()))
    await asyncio.sleep(5)

    total = len(typing.updates)
    latencies = typing.edit_latencies(clients)
    carets = typing.caret_latencies(clients)
    saved_latencies = [
        saved - sent for e in clients for sent, saved in zip(e.sent_at, e.saved_at, strict=False)
    ]
    texts = {e.plain() for e in clients}
    for editor in clients:
        if editor.reader is not None:
            editor.reader.cancel()
        await editor.ws.close()
    final = next(iter(texts)) if len(texts) == 1 else ""
    return {
        "editors": editors,
        "keys_each": keys,
        "keys_per_second_each": rate,
        "updates": total,
        "typing_seconds": round(typing_seconds, 1),
        "deliveries": len(latencies),
        "missed": total * (editors - 1) - len(latencies),
        "latency_ms": summary(latencies),
        "caret_deliveries": len(carets),
        # Each caret reaches the other editors: all carets but one's own, per editor.
        "caret_missed": editors * (len(typing.carets) - keys) - len(carets),
        "caret_latency_ms": summary(carets),
        "saved": sum(e.saved for e in clients),
        "saved_latency_ms": summary(saved_latencies),
        "identical_without_resync": len(live_texts) == 1,
        "identical": len(texts) == 1,
        "every_keystroke": Counter(final) == Counter(INITIAL) + typing.typed,
        "final_text": final,
        "server_rss_mib": {
            "idle": round(rss_before / 1024, 1),
            "editors_open": round(rss_open / 1024, 1),
            "after_typing": round(rss_after / 1024, 1),
        },
        "per_editor_kib": round((rss_open - rss_before) / max(editors, 1), 1),
    }


def main() -> int:
    size = SIZES["ci" if os.environ.get("BENCH_DOCUMENTS") == "ci" else "full"]
    editors = int(os.environ.get("EDITORS", size["editors"]))
    keys = int(os.environ.get("KEYS", size["keys"]))
    rate = float(os.environ.get("RATE", size["rate"]))
    settings = {"LIVE_CHANNEL_CAPACITY": str(max(200, 4 * editors))}
    with stack("bench-documents-", "bench.documents", settings) as run:
        data = run.call(f"b.seed({editors})")
        with run.served():
            result = asyncio.run(measure(run.port, data, editors, keys, rate, run.pid))
        stored = run.call(f"b.stored_text({data['document']})")
        result["stored_equals_editors"] = stored == result.pop("final_text")
    report(result, key="documents", save=os.environ.get("BENCH_DOCUMENTS") != "ci")
    ok = (
        not result["missed"]
        and result["identical"]
        and result["every_keystroke"]
        and result["stored_equals_editors"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
