"""Keystrokes stored in batches (documents.writer): fewer transactions than updates, each
sender acknowledged with its own row, nothing acknowledged when a write fails."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import OperationalError

from documents import crdt, services, writer
from documents.models import Document, DocumentUpdate
from tests.conftest import World
from tests.documents.ycli import YClient, document_socket, settle
from tests.live.conftest import run, session_headers

pytestmark = pytest.mark.django_db(transaction=True)


def stored_text(document_id: int) -> str:
    return crdt.text_of(Document.objects.get(pk=document_id))


def stored_data(ids: list[int]) -> dict[int, bytes]:
    rows = DocumentUpdate.objects.filter(pk__in=ids).values_list("id", "data")
    return {pk: bytes(data) for pk, data in rows}


@pytest.fixture
def transactions(monkeypatch) -> list[int]:
    """The size of every batch `crdt.append_many` stored (one transaction each)."""
    sizes: list[int] = []
    real = crdt.append_many

    def counted(**kwargs):
        ids = real(**kwargs)
        sizes.append(len(ids))
        return ids

    monkeypatch.setattr(crdt, "append_many", counted)
    return sizes


@pytest.fixture
def wide_window(monkeypatch) -> None:
    # Frames sent together reach the consumers well within this, even on a loaded machine.
    monkeypatch.setattr(writer, "BATCH_WINDOW_SECONDS", 0.5)


def test_writer_stores_a_burst_in_one_transaction_and_answers_each_with_its_row(
    world: World, transactions: list[int], wide_window: None
) -> None:
    document = services.create_document(actor=world.member, title="Spec")
    updates = [crdt.initial_state(f"line {n}\n")[0] for n in range(6)]
    authors = [world.member.user_id, world.admin.user_id] * 3

    async def body() -> list[int]:
        futures = [
            await writer.submit(
                document_id=document.pk,
                workspace_id=world.workspace.pk,
                data=data,
                author_id=author,
            )
            for data, author in zip(updates, authors, strict=True)
        ]
        return list(await asyncio.gather(*futures))

    ids = async_to_sync(body)()
    assert transactions == [6]
    assert len(set(ids)) == 6
    rows = DocumentUpdate.objects.in_bulk(ids)
    assert [bytes(rows[pk].data) for pk in ids] == updates
    assert [rows[pk].author_id for pk in ids] == authors


def test_a_burst_from_several_editors_is_stored_in_fewer_transactions_all_acknowledged(
    world: World, transactions: list[int], wide_window: None
) -> None:
    document = services.create_document(actor=world.member, title="Spec", text="base")
    clients = [
        YClient(document_socket(world.workspace.slug, document.pk, session_headers(member)))
        for member in (world.member, world.admin, world.owner)
    ]
    sent: list[list[bytes]] = [[] for _ in clients]

    async def body() -> None:
        for c in clients:
            await c.connect()
        await settle(clients)
        transactions.clear()  # connecting stores nothing, but be exact about what is counted
        for n, c in enumerate(clients):
            for key in range(4):
                c.type(0, f"{n}{key}")  # four separate updates per editor
            sent[n] = list(c.pending)
        for c in clients:  # all twelve frames are on their way before any is stored
            await c.flush()
        await settle(clients)
        assert len({str(c) for c in clients}) == 1
        for c in clients:
            await c.disconnect()

    run(body)
    assert sum(transactions) == 12
    assert len(transactions) < 12
    for c, updates in zip(clients, sent, strict=True):
        assert len(updates) == 4
        assert sorted(stored_data(c.saved).values()) == sorted(updates)
    assert stored_text(document.pk) == str(clients[0])


def failing_once(monkeypatch) -> Callable[[], int]:
    """Make the next `append_many` fail as a database that went away would; the ones after
    it work. Returns how many calls failed."""
    real, failures = crdt.append_many, []

    def flaky(**kwargs):
        if not failures:
            failures.append(kwargs)
            raise OperationalError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(crdt, "append_many", flaky)
    return lambda: len(failures)


def test_a_failing_write_acknowledges_nothing_and_the_page_resends_on_reconnect(
    world: World, monkeypatch
) -> None:
    document = services.create_document(actor=world.member, title="Spec", text="base")
    a, b = (
        YClient(document_socket(world.workspace.slug, document.pk, session_headers(member)))
        for member in (world.member, world.admin)
    )
    failed = failing_once(monkeypatch)
    back_headers = session_headers(world.member)

    async def body() -> None:
        await a.connect()
        await b.connect()
        await settle([a, b])
        a.type(0, "unsaved ")
        await a.flush()
        assert (await a.close_reason())["code"] == 1011
        assert a.saved == []
        count = DocumentUpdate.objects.filter(document=document).count
        assert await database_sync_to_async(count)() == 0
        # The other editor heard it before the write (relayed once validated); harmless,
        # because the sender's page still holds it and sends it again.
        await b.pump()
        assert str(b) == "unsaved base"
        back = YClient(document_socket(world.workspace.slug, document.pk, back_headers), doc=a.doc)
        await back.connect()
        await settle([back, b])
        assert str(back) == str(b) == "unsaved base"
        await back.disconnect()
        await b.disconnect()

    run(body)
    assert failed() == 1
    assert stored_text(document.pk) == "unsaved base"


def test_an_edit_to_a_document_deleted_meanwhile_closes_with_4404(world: World) -> None:
    document = services.create_document(actor=world.member, title="Spec", text="base")
    a = YClient(document_socket(world.workspace.slug, document.pk, session_headers(world.member)))

    async def body() -> None:
        await a.connect()
        await settle([a])
        await database_sync_to_async(Document.objects.filter(pk=document.pk).delete)()
        a.type(0, "late ")
        await a.flush()
        assert (await a.close_reason())["code"] == 4404
        assert a.saved == []

    run(body)
    assert not DocumentUpdate.objects.filter(document_id=document.pk).exists()
