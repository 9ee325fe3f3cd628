"""One writer per document being typed into in this process: keystrokes stored in batches.

Channels runs every `database_sync_to_async` call of a process on one thread, so 50 editors
storing their keystrokes one row (one transaction) at a time queue behind each other for
seconds. The socket hands each validated update to its document's writer instead. The writer
gathers what arrives within BATCH_WINDOW_SECONDS of the first update (and whatever arrives while
its previous batch is being written), stores the batch in one transaction
(`crdt.append_many`: one insert, one timestamp, the same compaction rule) and resolves each
sender's future with the id of its own row: that id is the sender's "saved".

A failed write resolves every future of the batch with the error, so nothing of it is
acknowledged; the sockets close and the pages resend on reconnect (their answer to the
server's sync step 1 holds every edit the server lacks). The queue is bounded: a socket whose
document's writer is QUEUE_LIMIT updates behind waits before it reads its next frame.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from channels.db import database_sync_to_async

from documents import crdt

logger = logging.getLogger(__name__)

BATCH_WINDOW_SECONDS = 0.005
MAX_BATCH = 200
QUEUE_LIMIT = 1000


@dataclass(frozen=True)
class PendingUpdate:
    data: bytes
    author_id: int | None
    stored: asyncio.Future[int]


class DocumentWriter:
    """Stores one document's updates in batches; runs while it has updates to store."""

    def __init__(self, *, document_id: int, workspace_id: int) -> None:
        self.document_id = document_id
        self.workspace_id = workspace_id
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[PendingUpdate] = asyncio.Queue(QUEUE_LIMIT)
        self.task = self.loop.create_task(self._run())

    def is_usable(self) -> bool:
        # A writer of a loop that has ended (a test's, a restarted worker's) never runs again.
        return not self.task.done() and self.loop is asyncio.get_running_loop()

    async def _run(self) -> None:
        try:
            while not self.queue.empty():
                await asyncio.sleep(BATCH_WINDOW_SECONDS)
                batch: list[PendingUpdate] = []
                while not self.queue.empty() and len(batch) < MAX_BATCH:
                    batch.append(self.queue.get_nowait())
                await self._write(batch)
        finally:
            # Decided with no await since the queue was last seen empty: an update submitted
            # after this point finds no writer and starts a new one.
            if _writers.get(self.document_id) is self:
                del _writers[self.document_id]

    async def _write(self, batch: list[PendingUpdate]) -> None:
        try:
            ids = await database_sync_to_async(crdt.append_many)(
                document_id=self.document_id,
                workspace_id=self.workspace_id,
                updates=[(pending.data, pending.author_id) for pending in batch],
            )
        except Exception as exc:
            logger.warning(
                "documents: storing %d updates of document %d failed",
                len(batch),
                self.document_id,
                exc_info=True,
            )
            for pending in batch:
                if not pending.stored.done():  # a sender that went away may have cancelled
                    pending.stored.set_exception(exc)
            return
        for pending, update_id in zip(batch, ids, strict=True):
            if not pending.stored.done():
                pending.stored.set_result(update_id)


_writers: dict[int, DocumentWriter] = {}


async def submit(
    *, document_id: int, workspace_id: int, data: bytes, author_id: int | None
) -> asyncio.Future[int]:
    """Queue a validated update for storing; the future resolves with its row id once the
    batch holding it has committed (or with the error that kept it from committing)."""
    writer = _writers.get(document_id)
    if writer is None or not writer.is_usable():
        writer = DocumentWriter(document_id=document_id, workspace_id=workspace_id)
        _writers[document_id] = writer
    stored: asyncio.Future[int] = writer.loop.create_future()
    await writer.queue.put(PendingUpdate(data=data, author_id=author_id, stored=stored))
    return stored
