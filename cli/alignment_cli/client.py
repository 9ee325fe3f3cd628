"""A thin HTTP client that turns every failure into one readable sentence."""

from __future__ import annotations

from typing import Any

import httpx

from alignment_cli import __version__


class CliError(Exception):
    """A failure to show the user as a sentence, with the process exit code to use."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


EXIT_USAGE, EXIT_AUTH, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_NETWORK = 2, 3, 4, 5, 6


def _error_sentence(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"The server answered {response.status_code} {response.reason_phrase}."
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"The server answered {response.status_code} {response.reason_phrase}."
    message = str(error.get("message") or response.reason_phrase)
    fields = error.get("fields") or {}
    details = [
        f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
        for name, msgs in fields.items()
    ]
    return message + (" (" + "; ".join(details) + ")" if details else "")


class Client:
    def __init__(self, base_url: str, token: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": f"alignment-cli/{__version__}",
            },
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.ConnectError as exc:
            raise CliError(
                f"Cannot reach {self.base_url}: is the server running and the URL right?",
                EXIT_NETWORK,
            ) from exc
        except httpx.TimeoutException as exc:
            raise CliError(f"{self.base_url} did not answer in time.", EXIT_NETWORK) from exc
        except httpx.HTTPError as exc:
            raise CliError(
                f"Network error talking to {self.base_url}: {exc}", EXIT_NETWORK
            ) from exc
        if response.status_code == 401:
            raise CliError(
                f"{_error_sentence(response)} Run `alignment login` with a valid token.", EXIT_AUTH
            )
        if response.status_code == 403:
            raise CliError(_error_sentence(response), EXIT_AUTH)
        if response.status_code == 404:
            raise CliError(_error_sentence(response), EXIT_NOT_FOUND)
        if response.status_code in (409, 412):
            raise CliError(_error_sentence(response), EXIT_CONFLICT)
        if response.status_code >= 400:
            raise CliError(_error_sentence(response))
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise CliError(
                f"{url} did not answer with JSON; is {self.base_url} an Alignment server?"
            ) from exc

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, params=clean)

    def post(self, path: str, json: Any) -> Any:
        return self.request("POST", path, json=json)

    def patch(self, path: str, json: Any, etag: str | None = None) -> Any:
        headers = {"If-Match": etag} if etag else None
        return self.request("PATCH", path, json=json, headers=headers)
