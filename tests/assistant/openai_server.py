"""A local HTTP server speaking the OpenAI chat-completions protocol, for the model path.

POST /v1/chat/completions answers with what the test queued: a whole completion (JSON), a
stream of `data: {chunk}` server-sent events ending in `data: [DONE]`, an error status with
the protocol's error body, or a stall (to hit the client's timeout). Requests are recorded.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    kind: str  # "json" | "stream" | "status" | "stall"
    content: str = ""
    status: int = 200
    seconds: float = 0.0


@dataclass
class FakeOpenAI:
    server: ThreadingHTTPServer
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def answer(self, content: str, *, stream: bool | None = None) -> None:
        self.replies.append(Reply("stream" if stream else "json", content))

    def fail(self, status: int) -> None:
        self.replies.append(Reply("status", status=status))

    def stall(self, seconds: float) -> None:
        self.replies.append(Reply("stall", seconds=seconds))


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "local-test",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }


def _chunks(content: str) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-test2", "object": "chat.completion.chunk", "created": 1_700_000_000,
            "model": "local-test"}  # fmt: skip
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}
    for i in range(0, len(content), 7):
        piece = content[i : i + 7]
        yield {
            **base,
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


def start() -> FakeOpenAI:
    fake: FakeOpenAI

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            if self.path != "/v1/chat/completions":
                return self._json(
                    404, {"error": {"message": "not found", "type": "invalid_request_error"}}
                )
            reply = fake.replies.popleft() if fake.replies else Reply("status", status=500)
            if reply.kind == "stall":
                time.sleep(reply.seconds)
                with contextlib.suppress(OSError):  # the client gave up first: the point
                    self._json(200, _completion("too late"))
                return None
            if reply.kind == "status":
                kind = "rate_limit_exceeded" if reply.status == 429 else "server_error"
                return self._json(reply.status, {"error": {"message": kind, "type": kind}})
            if reply.kind == "json" or not body.get("stream"):
                return self._json(200, _completion(reply.content))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for chunk in _chunks(reply.content):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            return None

        def _json(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake = FakeOpenAI(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake
