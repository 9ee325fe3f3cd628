"""Signing in with OpenID Connect, against a provider on 127.0.0.1 that signs real tokens.

Each failure names its page (title and status) and signs nobody in; the happy paths show who
is signed in, with which membership, and that the provider saw PKCE, state and nonce used.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from alignment.models import AuditEvent, Membership, Role, User
from sso.models import SsoConnection, SsoIdentity
from tests.conftest import World, client_for
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.sso.providers import ScriptedProvider

CALLBACK = "/accounts/sso/callback/"


def begin(client: Client, who: str = "pat@acme.example.com", next_url: str = "") -> str:
    """Press "Sign in with SSO" with an e-mail or slug; returns the IdP URL we were sent to."""
    response = client.post("/accounts/sso/", {"email_or_workspace": who, "next": next_url})
    assert response.status_code == 200, response.content[:500]
    link = re.search(r'id="sso-continue" href="([^"]+)"', response.content.decode())
    assert link is not None, response.content[:800]
    return html.unescape(link.group(1))


def come_back(client: Client, query: dict[str, str]):
    return client.get(f"{CALLBACK}?{urlencode(query)}")


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def assert_failed(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:800]
    assert f'data-code="{code}"' in response.content.decode()


# --- journeys that work ----------------------------------------------------------------------


def test_a_new_person_joins_with_the_default_role_and_lands_in_the_workspace(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    url = begin(client)

    response = come_back(client, provider.authorize(url, sub="okta-42", name="Pat Example"))

    assert response.status_code == 302
    assert response["Location"] == "/w/acme-inc/"
    user = signed_in_user(client)
    assert user is not None
    assert user.email == "pat@acme.example.com"
    assert user.full_name == "Pat Example"
    assert not user.has_usable_password()
    membership = Membership.objects.get(workspace=world.workspace, user=user)
    assert membership.role == Role.MEMBER
    assert SsoIdentity.objects.get(connection=connection).subject == "okta-42"
    assert client.session["login_method"] == "sso"
    assert AuditEvent.objects.filter(verb="member.joined_by_sso", actor=user).count() == 1


def test_the_authorization_request_carries_pkce_state_and_nonce_and_the_verifier_is_sent(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    url = begin(client)
    query = provider.authorize(url)

    come_back(client, query)

    assert "code_challenge=" in url
    assert "code_challenge_method=S256" in url
    assert "nonce=" in url
    assert "scope=openid+email+profile" in url
    (token_request,) = provider.token_requests
    assert len(token_request["code_verifier"]) >= 43
    assert token_request["redirect_uri"] == "http://testserver/accounts/sso/callback/"
    assert signed_in_user(client) is not None


def test_a_returning_person_is_found_by_subject_even_after_an_email_change(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    first = Client()
    come_back(first, provider.authorize(begin(first), sub="s-1"))
    user = signed_in_user(first)

    again = Client()
    come_back(again, provider.authorize(begin(again), sub="s-1", email="pat.new@acme.example.com"))

    assert signed_in_user(again) == user
    assert User.objects.filter(email__startswith="pat").count() == 1
    assert SsoIdentity.objects.get().email == "pat.new@acme.example.com"


def test_an_existing_member_of_only_this_workspace_is_linked_keeping_their_role(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    query = provider.authorize(begin(client), email=world.viewer.user.email)

    response = come_back(client, query)

    assert response.status_code == 302
    assert signed_in_user(client) == world.viewer.user
    world.viewer.refresh_from_db()
    assert world.viewer.role == Role.VIEWER


def test_the_next_page_is_kept_through_the_round_trip(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    url = begin(client, next_url="/w/acme-inc/okrs/")

    response = come_back(client, provider.authorize(url))

    assert response["Location"] == "/w/acme-inc/okrs/"


def test_another_sites_next_page_is_ignored(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    url = begin(client, next_url="https://evil.example/")

    response = come_back(client, provider.authorize(url))

    assert response["Location"] == "/w/acme-inc/"


def test_the_workspace_slug_finds_the_provider_too(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()

    url = begin(client, "acme-inc")

    assert url.startswith(f"{provider.issuer}/authorize?")


def test_a_workspace_link_goes_straight_to_the_provider(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()

    response = client.get("/accounts/sso/?workspace=acme-inc")

    assert response.status_code == 302
    query = provider.authorize(response["Location"])
    assert come_back(client, query)["Location"] == "/w/acme-inc/"


def test_an_unknown_domain_stays_on_the_form_with_a_message(world: World, connection):
    response = Client().post("/accounts/sso/", {"email_or_workspace": "kim@other.example"})

    assert response.status_code == 422
    assert "The domain other.example does not use single sign-on" in response.content.decode()


# --- failures ------------------------------------------------------------------------------


def test_a_state_that_was_not_started_here_is_refused(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    query = provider.authorize(begin(client))

    response = come_back(client, {**query, "state": "forged"})

    assert_failed(response, 400, "sso_state_mismatch")
    assert signed_in_user(client) is None
    assert provider.token_requests == []


def test_an_answer_opened_in_another_browser_is_refused(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    query = provider.authorize(begin(Client()))
    other_browser = Client()

    response = come_back(other_browser, query)

    assert_failed(response, 400, "sso_state_mismatch")
    assert signed_in_user(other_browser) is None


def test_an_attempt_kept_in_another_shape_is_a_mismatch_not_an_error(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    query = provider.authorize(begin(client))
    session = client.session
    session["sso_attempts"] = {query["state"]: {"workspace_id": world.workspace.pk}}
    session.save()

    response = come_back(client, query)

    assert_failed(response, 400, "sso_state_mismatch")
    assert signed_in_user(client) is None


def test_a_state_is_used_once(world: World, connection: SsoConnection, provider: ScriptedProvider):
    client = Client()
    query = provider.authorize(begin(client))
    come_back(client, query)
    client.logout()

    response = come_back(client, query)

    assert_failed(response, 400, "sso_state_mismatch")
    assert signed_in_user(client) is None


def test_a_sign_in_older_than_ten_minutes_is_refused(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    query = provider.authorize(begin(client))

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        response = come_back(client, query)

    assert_failed(response, 400, "sso_expired")
    assert "within 10 minutes" in response.content.decode()
    assert signed_in_user(client) is None


def test_an_email_outside_the_allowed_domains_is_refused_and_nobody_is_created(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    query = provider.authorize(begin(client), email="mallory@gmail.example")

    response = come_back(client, query)

    assert_failed(response, 403, "sso_domain_not_allowed")
    assert "mallory@gmail.example is not in a domain that Acme Inc accepts" in (
        response.content.decode()
    )
    assert not User.objects.filter(email="mallory@gmail.example").exists()
    assert signed_in_user(client) is None


def test_an_unverified_email_is_refused(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()

    response = come_back(client, provider.authorize(begin(client), email_verified=False))

    assert_failed(response, 403, "sso_email_missing")
    assert not User.objects.filter(email="pat@acme.example.com").exists()


@pytest.mark.parametrize(
    ("how", "claims"),
    [
        pytest.param("foreign-key", {}, id="signed with a key not in the JWKS"),
        pytest.param("client-secret-hs256", {}, id="HS256 with the client secret"),
        pytest.param("own-key", {"nonce": "another"}, id="another nonce"),
        pytest.param("own-key", {"aud": "another-client"}, id="another audience"),
        pytest.param("own-key", {"iss": "https://evil.example"}, id="another issuer"),
        pytest.param("own-key", {"exp": 1_000_000_000}, id="expired"),
        pytest.param("own-key", {"nonce": None}, id="no nonce"),
    ],
)
def test_an_id_token_that_cannot_be_trusted_signs_nobody_in(
    how: str, claims: dict, world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    query = provider.authorize(begin(client), sign=how, **claims)

    response = come_back(client, query)

    assert_failed(response, 502, "sso_id_token_invalid")
    assert signed_in_user(client) is None
    assert not User.objects.filter(email="pat@acme.example.com").exists()
    connection.refresh_from_db()
    assert connection.last_error.startswith("The identity provider's answer could not be trusted")


def test_the_providers_refusal_is_shown(world: World, connection: SsoConnection, provider):
    client = Client()
    state = provider.authorize(begin(client))["state"]

    response = come_back(
        client, {"state": state, "error": "access_denied", "error_description": "Not assigned"}
    )

    assert_failed(response, 403, "sso_provider_refused")
    assert "access_denied" in response.content.decode()
    assert "Not assigned" in response.content.decode()


def test_a_provider_that_is_down_when_starting_says_so(world: World):
    connection = SsoConnection.objects.create(
        workspace=world.workspace,
        issuer="http://127.0.0.1:9",  # discard port: nothing listens
        client_id="x",
        client_secret="y",
        allowed_domains=["acme.example.com"],
    )

    response = Client().post("/accounts/sso/", {"email_or_workspace": "pat@acme.example.com"})

    assert_failed(response, 502, "sso_provider_unreachable")
    assert "Try again in a few minutes" in response.content.decode()
    connection.refresh_from_db()
    assert connection.last_error.startswith("Your identity provider cannot be reached")


def test_a_provider_that_goes_down_before_the_callback_says_so(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    query = provider.authorize(begin(client))
    provider.stop()

    response = come_back(client, query)

    assert_failed(response, 502, "sso_provider_unreachable")
    assert signed_in_user(client) is None


def test_a_wrong_client_secret_is_a_token_refusal(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    connection.set_client_secret("not-the-secret")
    connection.save()
    client = Client()

    response = come_back(client, provider.authorize(begin(client)))

    assert_failed(response, 502, "sso_token_refused")
    assert "invalid_client" in response.content.decode()


def test_without_just_in_time_membership_a_stranger_is_refused(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    SsoConnection.objects.filter(pk=connection.pk).update(auto_join=False)
    client = Client()

    response = come_back(client, provider.authorize(begin(client)))

    assert_failed(response, 403, "sso_not_a_member")
    assert not User.objects.filter(email="pat@acme.example.com").exists()


def test_an_account_that_belongs_to_other_workspaces_is_not_taken_over(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    elsewhere = WorkspaceFactory(name="Other", slug="other")
    victim = UserFactory(email="pat@acme.example.com")
    MembershipFactory(workspace=elsewhere, user=victim, role=Role.OWNER)
    client = Client()

    response = come_back(client, provider.authorize(begin(client)))

    assert_failed(response, 409, "sso_account_needs_link")
    assert signed_in_user(client) is None
    assert not SsoIdentity.objects.exists()
    assert not Membership.objects.filter(workspace=world.workspace, user=victim).exists()


def test_the_account_owner_logged_in_with_a_password_links_it(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    elsewhere = WorkspaceFactory(name="Other", slug="other")
    person = UserFactory(email="pat@acme.example.com")
    MembershipFactory(workspace=elsewhere, user=person, role=Role.OWNER)
    client = client_for(person)

    response = come_back(client, provider.authorize(begin(client)))

    assert response.status_code == 302
    assert signed_in_user(client) == person
    assert SsoIdentity.objects.get().user == person


def test_a_disabled_connection_cannot_be_used(
    world: World, connection: SsoConnection, provider: ScriptedProvider
):
    client = Client()
    query = provider.authorize(begin(client))
    SsoConnection.objects.filter(pk=connection.pk).update(is_enabled=False)

    response = come_back(client, query)

    assert_failed(response, 404, "sso_not_configured")
    assert signed_in_user(client) is None
