"""A small client of the OpenAI chat-completions protocol (POST <base>/chat/completions),
streaming (server-sent events) and not, with a timeout. Any failure -- timeout, 429, 5xx,
refused connection, a body that is not the protocol's -- raises `ModelUnavailable` with a
short note the pages show next to the offline answer."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings


class ModelUnavailable(Exception):
    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 20.0

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


def configured_endpoint() -> Endpoint | None:
    """The server's endpoint, or None: then nothing ever leaves the server."""
    base = (getattr(settings, "ASSISTANT_BASE_URL", "") or "").strip()
    if not base:
        return None
    return Endpoint(
        base_url=base,
        model=getattr(settings, "ASSISTANT_MODEL", "") or "default",
        api_key=getattr(settings, "ASSISTANT_API_KEY", "") or "",
        timeout=float(getattr(settings, "ASSISTANT_TIMEOUT", 20) or 20),
    )


Message = dict[str, str]


def _headers(endpoint: Endpoint) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    return headers


def _check_status(response: httpx.Response) -> None:
    if response.status_code == 429:
        raise ModelUnavailable("The model is rate limited (429).")
    if response.status_code >= 500:
        raise ModelUnavailable(f"The model's server failed ({response.status_code}).")
    if response.status_code >= 400:
        raise ModelUnavailable(f"The model refused the request ({response.status_code}).")


def _body(endpoint: Endpoint, messages: Sequence[Message], stream: bool) -> dict[str, Any]:
    return {
        "model": endpoint.model,
        "messages": list(messages),
        "stream": stream,
        "temperature": 0,
    }


def chat(endpoint: Endpoint, messages: Sequence[Message], *, stream: bool = False) -> str:
    """The assistant message's text, whole (streamed chunks are joined)."""
    if stream:
        return "".join(chat_stream(endpoint, messages))
    try:
        response = httpx.post(
            endpoint.url,
            json=_body(endpoint, messages, False),
            headers=_headers(endpoint),
            timeout=endpoint.timeout,
        )
    except httpx.TimeoutException as exc:
        raise ModelUnavailable(f"The model did not answer within {endpoint.timeout:g} s.") from exc
    except httpx.HTTPError as exc:
        raise ModelUnavailable("The model could not be reached.") from exc
    _check_status(response)
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ModelUnavailable("The model's answer was not a chat completion.") from exc
    if not isinstance(content, str):
        raise ModelUnavailable("The model's answer had no text.")
    return content


def chat_stream(endpoint: Endpoint, messages: Sequence[Message]) -> Iterator[str]:
    """The text deltas of a streamed completion (`data: {...}` events up to `data: [DONE]`).

    The timeout applies to connecting and to each read, so a stream that stalls fails too.
    """
    try:
        with httpx.stream(
            "POST",
            endpoint.url,
            json=_body(endpoint, messages, True),
            headers={**_headers(endpoint), "Accept": "text/event-stream"},
            timeout=endpoint.timeout,
        ) as response:
            _check_status(response)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # comments, event names, keep-alives
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                yield _delta(data)
    except httpx.TimeoutException as exc:
        raise ModelUnavailable(f"The model did not answer within {endpoint.timeout:g} s.") from exc
    except httpx.HTTPError as exc:
        raise ModelUnavailable("The model could not be reached.") from exc


def _delta(data: str) -> str:
    try:
        choice = json.loads(data)["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ModelUnavailable("The model's stream was not chat completion chunks.") from exc
    if not isinstance(choice, dict):
        raise ModelUnavailable("The model's stream was not chat completion chunks.")
    content = (choice.get("delta") or {}).get("content")
    return content if isinstance(content, str) else ""
