"""The ASGI application (pages and sockets) served by uvicorn in a thread, for browser tests
of live pages; `live_server` (WSGI) cannot answer a websocket.

It shares the test database as `live_server` does: the tests are transactional, and SQLite's
in-memory test database is opened in shared-cache mode, so the server's threads see it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest


class AsgiServer:
    """uvicorn serving the ASGI application in a thread; `restart()` stops it (open sockets are
    closed with 1012, "service restart", as a deploy does) and serves again on the same port."""

    def __init__(self) -> None:
        self.port = 0
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import uvicorn
        from channels.layers import channel_layers
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from alignment.asgi import application

        # A channel layer belongs to the event loop that receives on it (channels_redis refuses
        # a second loop while the first's blocking read is pending). Production has one loop a
        # process; here each server (and each restart) runs a new loop in this process, and the
        # last server's read can stay pending up to the layer's socket timeout: a new layer each.
        channel_layers.backends.clear()

        config = uvicorn.Config(
            ASGIStaticFilesHandler(application),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="asgi-live-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)

    def restart(self, down_seconds: float = 0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


@pytest.fixture
def asgi_live_server(transactional_db) -> Iterator[AsgiServer]:
    from live import presence

    # This process's rosters start empty: a socket an earlier test's server dropped without a
    # leave must not show up as a viewer here (tests/live/conftest.py does the same).
    presence.aggregator = presence.Aggregator()
    server = AsgiServer()
    server.start()
    # The first request imports the URLconf and compiles templates (seconds on a busy CI
    # machine): pay it here, not inside a browser's navigation timeout.
    httpx.get(f"{server.url}/accounts/login/", timeout=60)
    yield server
    server.stop()
