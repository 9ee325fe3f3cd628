"""A local server that speaks Slack's Web API, and helpers that send Slack's signed requests.

The server answers the methods Alignment calls (chat.postMessage, chat.update,
chat.postEphemeral, chat.unfurl, views.open, views.publish, users.info, auth.test) the way
Slack does:
HTTP 200 with `{"ok": true, ...}` in the documented response shapes, `{"ok": false, "error":
...}` for refusals (a wrong token is `invalid_auth`, an unknown user `user_not_found`, a JSON
body without `charset` is answered too), and 429 with `Retry-After` when told to rate limit.
Each test can make one method fail with a Slack error code (`fail`).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from integrations.models import Integration
from integrations.signatures import slack_signature
from tests.integrations.conftest import SLACK_SECRET, free_port

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "slack"
BOT_TOKEN = "xoxb-test-bot-token-1234"  # the `slack` fixture's bot token
TEAM_ID = "T111"  # the Slack team of the bolt-python payloads


def slack_fixture(name: str) -> dict[str, Any]:
    """A payload copied from ../shared/fixtures/slack (see fixtures/README.md)."""
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Call:
    method: str
    token: str
    body: dict[str, Any]
    content_type: str


@dataclass
class SlackWebApi:
    """The state of the local Slack: its users, what it was asked, what it should refuse."""

    port: int
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, tuple[int, str, dict[str, str]]] = field(default_factory=dict)
    token: str = BOT_TOKEN
    delay_seconds: float = 0.0
    # The bot's own Slack team (auth.test): set by a test, else the team of its first user.
    team_id: str = ""

    @property
    def own_team(self) -> str:
        if self.team_id:
            return self.team_id
        first = next(iter(self.users.values()), None)
        return str(first["team_id"]) if first else TEAM_ID

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def add_user(
        self, user_id: str, email: str, *, confirmed: bool = True, team_id: str = TEAM_ID
    ) -> None:
        """A member as users.info describes one (Slack's documented example's fields)."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": email.split("@")[0],
            "deleted": False,
            "real_name": email.split("@")[0].title(),
            "tz": "Europe/Berlin",
            "profile": {
                "real_name": email.split("@")[0].title(),
                "display_name": email.split("@")[0],
                "email": email,
                "team": team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": False,
            "is_app_user": False,
            "is_email_confirmed": confirmed,
            "updated": 1502138686,
        }

    def fail(self, method: str, error: str, *, status: int = 200, **headers: str) -> None:
        """Answer `method` with `{"ok": false, "error": error}` from now on."""
        self.failures[method] = (status, error, headers)

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def answer(self, method: str, body: dict[str, Any], token: str) -> tuple[int, dict, Any]:
        if token != self.token:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        if method in self.failures:
            status, error, headers = self.failures[method]
            return status, headers, {"ok": False, "error": error}
        ts = f"{time.time():.6f}"
        if method == "chat.postMessage":
            channel = body.get("channel")
            message = {"type": "message", "text": body.get("text", ""), "ts": ts, "bot_id": "B1"}
            return 200, {}, {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            return (
                200,
                {},
                {
                    "ok": True,
                    "channel": body.get("channel"),
                    "ts": body.get("ts"),
                    "text": body.get("text", ""),
                    "message": {"text": body.get("text", ""), "user": "U1", "blocks": []},
                },
            )
        if method == "chat.postEphemeral":
            return 200, {}, {"ok": True, "message_ts": ts}
        if method == "chat.unfurl":
            return 200, {}, {"ok": True}
        if method in ("views.open", "views.publish"):
            view = dict(body.get("view") or {})
            view.update(id="VMHU10V25", team_id=TEAM_ID, hash="156772938.1827394", state={})
            return 200, {}, {"ok": True, "view": view}
        if method == "auth.test":  # Slack's documented answer for a bot token
            return (
                200,
                {},
                {
                    "ok": True,
                    "url": "https://subarachnoid.slack.com/",
                    "team": "Subarachnoid Workspace",
                    "user": "bot",
                    "team_id": self.own_team,
                    "user_id": "W12345678",
                    "bot_id": "BZYBOTHED",
                },
            )
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            if user is None:
                return 200, {}, {"ok": False, "error": "user_not_found"}
            return 200, {}, {"ok": True, "user": user}
        return 200, {}, {"ok": False, "error": "unknown_method"}


def _handler(api: SlackWebApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _read(self) -> tuple[str, dict[str, Any]]:
            parts = urlsplit(self.path)
            method = parts.path.rsplit("/", 1)[-1]
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("application/json"):
                body = json.loads(raw or b"{}")
            else:
                query = parts.query if self.command == "GET" else raw.decode()
                body = {k: v[0] for k, v in parse_qs(query).items()}
            return method, body

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            method, body = self._read()
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip()
            api.calls.append(Call(method, token, body, self.headers.get("Content-Type", "")))
            if api.delay_seconds:
                time.sleep(api.delay_seconds)
            status, headers, payload = api.answer(method, body, token)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST  # noqa: N815 - users.info is read with GET

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


class SlackServer:
    def __init__(self) -> None:
        self.api = SlackWebApi(port=free_port())
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.api.port), _handler(self.api))
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- Sending Slack's signed requests --------------------------------------------------------


def post_signed(
    integration: Integration,
    body: str,
    content_type: str,
    *,
    signature: str | None = None,
    timestamp: str | None = None,
    **headers: str,
) -> Any:
    ts = timestamp or str(int(time.time()))
    return Client().post(
        f"/hooks/slack/{integration.uuid}/",
        body,
        content_type=content_type,
        HTTP_X_SLACK_REQUEST_TIMESTAMP=ts,
        HTTP_X_SLACK_SIGNATURE=signature or slack_signature(SLACK_SECRET, ts, body.encode()),
        **headers,
    )


def post_interaction(integration: Integration, payload: dict[str, Any], **kwargs: Any) -> Any:
    """An interactive payload as Slack sends it: a form with one field, `payload`."""
    body = urlencode({"payload": json.dumps(payload)})
    return post_signed(integration, body, "application/x-www-form-urlencoded", **kwargs)


def post_event(integration: Integration, envelope: dict[str, Any], **kwargs: Any) -> Any:
    """An Events API request: the JSON envelope as the body."""
    return post_signed(integration, json.dumps(envelope), "application/json", **kwargs)


def event_envelope(event: dict[str, Any], event_id: str = "Ev0LINKS1") -> dict[str, Any]:
    """Wrap an inner event in the Events API envelope (shape of the app_home_opened fixture)."""
    envelope = slack_fixture("event_callback__app_home_opened_home_tab_slack_go_test.json")
    envelope.update(event=event, event_id=event_id, team_id=TEAM_ID)
    envelope["authorizations"][0]["team_id"] = TEAM_ID
    return envelope
