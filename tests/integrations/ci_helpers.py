"""Helpers for the CI and review tests: the payloads copied into tests/integrations/fixtures/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.test import Client

from integrations.models import Integration
from tests.integrations.conftest import GITLAB_TOKEN, body_of, post_github

LOCAL = Path(__file__).resolve().parent / "fixtures"


def payload(name: str) -> dict[str, Any]:
    """A copied provider payload, e.g. `github/check_run__completed.json`."""
    return json.loads((LOCAL / name).read_text())


def send_github(
    capture: Any, integration: Integration, event: str, data: Any, delivery: str, **kw: Any
) -> Any:
    with capture(execute=True):
        return post_github(integration, event, body_of(data), delivery=delivery, **kw)


def send_gitlab(
    capture: Any,
    integration: Integration,
    event: str,
    data: Any,
    key: str,
    token: str | None = GITLAB_TOKEN,
) -> Any:
    headers = {"HTTP_X_GITLAB_EVENT": event, "HTTP_IDEMPOTENCY_KEY": key}
    if token is not None:
        headers["HTTP_X_GITLAB_TOKEN"] = token
    with capture(execute=True):
        return Client().post(
            f"/hooks/gitlab/{integration.uuid}/",
            body_of(data),
            content_type="application/json",
            **headers,
        )


def open_pr(capture: Any, github: Integration, key: str, *, sha: str, branch: str) -> Any:
    """Record an open PR naming `key` with this head commit and branch (delivery "pr-open")."""
    data = payload("github/pull_request__opened.json")
    data["pull_request"]["title"] = f"{key} Fix the login"
    data["pull_request"]["head"].update(sha=sha, ref=branch)
    return send_github(capture, github, "pull_request", data, "pr-open")
