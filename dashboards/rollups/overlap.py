"""Run one read-only query on a second database connection while this one reads the rest.

A full recompute spends most of its database time in one aggregate over every task of the
workspace (the floor of bench/); PostgreSQL works on it while Python waits. Sent from a
thread of its own, on that thread's own connection, it runs while this connection reads the
roadmap items, sprints, teams, the OKR tree and the stored rows (≈0.3 s at a million tasks).

Only where that is both safe and useful (`may_overlap`): on PostgreSQL, and outside any
transaction of this connection (atomic or hand-managed). Inside one, the other connection
could not see this one's uncommitted writes (a caller's, or a test's), so the query runs
here, in order. Each statement of a READ COMMITTED pass already sees its own snapshot, so a
second connection weakens nothing the pass relied on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from django.db import connection, connections

T = TypeVar("T")


def may_overlap() -> bool:
    """Whether a query may run on a second connection now (see the module docstring)."""
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()  # not in a hand-managed transaction either
    )


def in_background(query: Callable[[], T]) -> Callable[[], T]:
    """Start `query` on a thread with its own connection; call the result to wait for it.

    The thread closes its connection before handing the result over: no connection outlives
    the query (a test database could not be dropped with one still open). An exception in
    the query is raised by the call that waits.
    """
    future: Future[T] = Future()

    def run() -> None:
        try:
            result = query()
        except BaseException as exc:  # handed to the waiting thread, raised there
            connections.close_all()
            future.set_exception(exc)
            return
        connections.close_all()
        future.set_result(result)

    threading.Thread(target=run, name="rollup-aggregate", daemon=True).start()
    return future.result
