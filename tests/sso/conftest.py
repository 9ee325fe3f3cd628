"""SSO fixtures: a workspace connected to a provider started for the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sso.models import SsoConnection
from tests.conftest import World
from tests.sso.providers import ScriptedProvider


@pytest.fixture(autouse=True)
def _providers_on_loopback(settings):
    # The test providers listen on 127.0.0.1; production refuses private issuers by default.
    settings.SSO_ALLOW_PRIVATE_ISSUERS = True


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    started = ScriptedProvider().start()
    yield started
    started.stop()


def connect(
    world: World, issuer: str, client_id: str, client_secret: str, **extra
) -> SsoConnection:
    connection = SsoConnection(
        workspace=world.workspace,
        issuer=issuer,
        client_id=client_id,
        allowed_domains=["acme.example.com"],
        **extra,
    )
    connection.set_client_secret(client_secret)
    connection.save()
    return connection


@pytest.fixture
def connection(world: World, provider: ScriptedProvider) -> SsoConnection:
    return connect(world, provider.issuer, provider.client_id, provider.client_secret)
