"""PostgreSQL only: a row locked by one worker is skipped by another's sweep."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from integrations import outbox
from integrations.models import Channel, OutboxMessage, OutboxStatus
from tests.services import require_postgres

pytestmark = pytest.mark.postgres


def test_sweep_skips_rows_another_worker_holds(transaction_db_world, http_peer):
    require_postgres()
    receiver = http_peer().peer
    message = OutboxMessage.objects.create(
        workspace=transaction_db_world,
        channel=Channel.WEBHOOK,
        destination=receiver.url,
        payload={},
        dedupe_key="locked",
    )
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=message.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert outbox.sweep() == 0
    finally:
        release.set()
        thread.join()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert receiver.received == []


@pytest.fixture
def transaction_db_world(transactional_db):
    from tests.factories import WorkspaceFactory

    return WorkspaceFactory()
