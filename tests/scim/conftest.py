"""SCIM test helpers: a token-carrying client and the providers' request bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from alignment.models import Membership
from scim.services import scim_token_create

FIXTURES = Path(__file__).parent / "fixtures"
MEDIA_TYPE = "application/scim+json"


def fixture(name: str, **ids: Any) -> dict[str, Any]:
    """A provider's request body from tests/scim/fixtures/, with `{user_id}`-style ids filled."""
    text = (FIXTURES / f"{name}.json").read_text()
    for key, value in ids.items():
        text = text.replace("{" + key + "}", str(value))
    return json.loads(text)


class ScimClient:
    """Speaks SCIM to one workspace's /scim/v2/<slug>/ with a bearer token."""

    def __init__(self, slug: str, raw_token: str) -> None:
        self.base = f"/scim/v2/{slug}/"
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")

    def _send(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.generic(method, self.base + path, data, content_type=MEDIA_TYPE, **extra)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(self.base + path, params)

    def post(self, path: str, body: Any) -> Any:
        return self._send("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._send("PUT", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self._send("PATCH", path, body)

    def delete(self, path: str) -> Any:
        return self._send("DELETE", path)


def scim_client_for(membership: Membership) -> ScimClient:
    _token, raw = scim_token_create(actor=membership, name="Okta")
    return ScimClient(membership.workspace.slug, raw)


@pytest.fixture
def scim(world) -> ScimClient:
    """A SCIM client with a token created by the workspace's owner."""
    return scim_client_for(world.owner)


@pytest.fixture
def admin_scim(world) -> ScimClient:
    """A SCIM client with a token created by an admin (not an owner)."""
    return scim_client_for(world.admin)
