"""Signing in against a real OpenID Provider: panva's oidc-provider on node, started here.

No browser: the test walks the provider's own login form with an HTTP client and hands the
redirect back to Django, as a browser would (tests/browser/test_sso.py does it in Chromium).
Skips when node/npm are missing, and fails under CI=true.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.test import Client
from django.utils import timezone

from alignment.models import Membership, Role, User
from sso.models import SsoConnection, SsoIdentity
from tests.conftest import World
from tests.sso.conftest import connect
from tests.sso.providers import NodeOidcProvider
from tests.sso.test_login import assert_failed, begin, come_back, signed_in_user

REDIRECT_URI = "http://testserver/accounts/sso/callback/"


@pytest.fixture
def node_provider() -> Iterator[NodeOidcProvider]:
    provider = NodeOidcProvider(
        client_id=f"alignment-{secrets.token_hex(4)}",
        client_secret=secrets.token_urlsafe(32),
        redirect_uris=[REDIRECT_URI],
        now=int(timezone.now().timestamp()),
    ).start()
    yield provider
    provider.stop()


@pytest.fixture
def real_connection(world: World, node_provider: NodeOidcProvider) -> SsoConnection:
    return connect(
        world, node_provider.issuer, node_provider.client_id, node_provider.client_secret
    )


def log_in_at_provider(authorization_url: str, login: str) -> dict[str, str]:
    """Fill the provider's login form; returns the query it redirects the browser back with."""
    browser = requests.Session()
    page = browser.get(authorization_url, timeout=10)
    assert page.status_code == 200, page.text[:300]
    action = re.search(r'<form autocomplete="off" action="([^"]+)"', page.text)
    assert action is not None, page.text[:500]
    response = browser.post(
        urljoin(page.url, action.group(1)),
        data={"prompt": "login", "login": login, "password": "any"},
        allow_redirects=False,
        timeout=10,
    )
    for _ in range(5):
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(REDIRECT_URI):
            return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        response = browser.get(location, allow_redirects=False, timeout=10)
    raise AssertionError(f"the provider never redirected back: {response.status_code}")


def test_a_person_signs_in_through_a_certified_provider_and_joins(
    world: World, real_connection: SsoConnection
):
    client = Client()
    url = begin(client, "lee@acme.example.com")

    response = come_back(client, log_in_at_provider(url, "lee@acme.example.com"))

    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == "/w/acme-inc/"
    user = signed_in_user(client)
    assert user is not None
    assert user.email == "lee@acme.example.com"
    assert Membership.objects.get(workspace=world.workspace, user=user).role == Role.MEMBER
    assert SsoIdentity.objects.get(user=user).subject == "lee@acme.example.com"


def test_the_certified_provider_refuses_a_reused_code(world: World, real_connection: SsoConnection):
    client = Client()
    query = log_in_at_provider(begin(client, "lee@acme.example.com"), "lee@acme.example.com")
    come_back(client, query)
    # A second attempt in the same browser, replaying the first code with a fresh state.
    client.logout()
    fresh = begin(client, "lee@acme.example.com")
    state = parse_qs(urlsplit(fresh).query)["state"][0]

    response = come_back(client, {**query, "state": state})

    assert_failed(response, 502, "sso_token_refused")
    assert "invalid_grant" in response.content.decode()
    assert signed_in_user(client) is None


def test_a_domain_outside_the_list_is_refused_after_a_real_login(
    world: World, real_connection: SsoConnection
):
    client = Client()
    url = begin(client, "acme-inc")

    response = come_back(client, log_in_at_provider(url, "eve@elsewhere.example"))

    assert_failed(response, 403, "sso_domain_not_allowed")
    assert not User.objects.filter(email="eve@elsewhere.example").exists()
