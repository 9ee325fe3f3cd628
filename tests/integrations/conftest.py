"""Fixtures for integrations: the shared provider payloads, signing helpers, and local peers
(an HTTP server standing in for webhook receivers and Slack's Web API, an SMTP server)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from integrations.models import Integration, Provider
from integrations.signatures import alignment_verify, github_signature
from tests.conftest import World
from tests.factories.okrs import PeriodFactory
from tests.services import CI

REPO_ROOT = Path(__file__).resolve().parents[2]
GITHUB_SECRET = "It's a Secret to Everybody"  # GitHub docs' example secret
GITLAB_TOKEN = "gitlab-token-0123456789abcdef"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack docs' example signing secret


def find_fixtures_dir() -> Path | None:
    """`../shared/fixtures` beside the clone (CI), else /work/shared/fixtures."""
    for candidate in (REPO_ROOT.parent / "shared" / "fixtures", Path("/work/shared/fixtures")):
        if (candidate / "github").is_dir():
            return candidate
    return None


def shared_fixtures_dir() -> Path:
    """The shared fixtures; skip when absent, but fail under CI=true."""
    found = find_fixtures_dir()
    if found is not None:
        return found
    if CI:
        pytest.fail("The shared provider fixtures (../shared/fixtures) are missing under CI=true.")
    pytest.skip("The shared provider fixtures (../shared/fixtures) are not available here.")


@pytest.fixture(autouse=True)
def _receivers_on_localhost(settings: Any) -> None:
    # The peers these tests talk to listen on 127.0.0.1, which the SSRF guard refuses by
    # default; test_urlguard.py turns the guard back on to test it.
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return shared_fixtures_dir()


def load_fixture(fixtures: Path, name: str) -> dict[str, Any]:
    return json.loads((fixtures / name).read_text())


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def integration_for(world: World, provider: str, secret: str, **extra: Any) -> Integration:
    integration = Integration(
        workspace=world.workspace, provider=provider, name=f"{provider} main", **extra
    )
    integration.set_secret(secret)
    integration.save()
    return integration


@pytest.fixture
def github(world: World) -> Integration:
    return integration_for(world, Provider.GITHUB, GITHUB_SECRET)


@pytest.fixture
def gitlab(world: World) -> Integration:
    return integration_for(world, Provider.GITLAB, GITLAB_TOKEN)


@pytest.fixture
def slack(world: World) -> Integration:
    integration = integration_for(world, Provider.SLACK, SLACK_SECRET)
    integration.set_bot_token("xoxb-test-bot-token-1234")
    integration.save()
    return integration


def post_github(
    integration: Integration,
    event: str,
    body: bytes,
    *,
    delivery: str = "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    signature: str | None = "valid",
) -> Any:
    headers = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": delivery}
    if signature == "valid":
        headers["HTTP_X_HUB_SIGNATURE_256"] = github_signature(GITHUB_SECRET, body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return Client().post(
        f"/hooks/github/{integration.uuid}/", body, content_type="application/json", **headers
    )


# --- A local HTTP peer --------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None = None


@dataclass
class HttpPeer:
    """A real HTTP server on 127.0.0.1. `responses` are (status, headers, json body) answered
    in order (the last one repeats); with `verify_secret` set it checks X-Alignment-Signature
    as a receiver would and answers 401 when it does not verify."""

    port: int
    responses: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    verify_secret: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler_for(peer: HttpPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            record = Received(self.path, dict(self.headers.items()), body)
            peer.received.append(record)
            if peer.verify_secret is not None:
                record.verified = alignment_verify(
                    peer.verify_secret, body, self.headers.get("X-Alignment-Signature", "")
                )
                if not record.verified:
                    self._answer(401, {}, {"error": "bad signature"})
                    return
            index = min(len(peer.received), len(peer.responses)) - 1
            status, headers, payload = peer.responses[index] if peer.responses else (200, {}, {})
            self._answer(status, headers, payload)

        do_GET = do_POST  # noqa: N815 - Slack's Web API also takes GET (users.info)

        def _answer(self, status: int, headers: dict[str, str], payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PeerServer:
    def __init__(self, peer: HttpPeer) -> None:
        self.peer = peer
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> HttpPeer:
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.peer.port), _handler_for(self.peer))
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self.peer

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def http_peer() -> Iterator[Callable[..., PeerServer]]:
    """Build local HTTP peers: `make(start=True)`; all are stopped after the test."""
    servers: list[PeerServer] = []

    def make(*, start: bool = True, **kwargs: Any) -> PeerServer:
        server = PeerServer(HttpPeer(port=free_port(), **kwargs))
        servers.append(server)
        if start:
            server.start()
        return server

    yield make
    for server in servers:
        server.stop()


# --- A local SMTP peer --------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd); Django's SMTP backend is pointed at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def _integration_settings(settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.OUTBOX_MAX_ATTEMPTS = 5
    settings.OUTBOX_HTTP_TIMEOUT_SECONDS = 5


@pytest.fixture
def quarter(world: World) -> Any:
    """The period OKR imports and exports name: "Q3 2026"."""
    return PeriodFactory(
        workspace=world.workspace, name="Q3 2026", start=date(2026, 7, 1), end=date(2026, 9, 30)
    )


# --- A local Slack Web API ------------------------------------------------------------------


@pytest.fixture
def slack_web_api(settings: Any) -> Iterator[Any]:
    """A local server speaking Slack's Web API (tests/integrations/slack_server.py); the
    `SLACK_API_BASE` setting points at it."""
    from tests.integrations.slack_server import SlackServer

    server = SlackServer()
    settings.SLACK_API_BASE = server.api.url
    yield server.api
    server.stop()
