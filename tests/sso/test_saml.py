"""Signing in with SAML 2.0 against a pysaml2 IdP whose keys are made for the test.

The ACS is posted by a client without cookies, as a browser posts it cross-site (our session
cookie is SameSite=Lax); the browser that started the sign-in then follows the redirect with
its session. Each failure names its page (code and status) and signs nobody in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from alignment.models import AuditEvent, Membership, Role, User
from sso.models import Protocol, SamlRequest, SsoConnection, SsoIdentity
from tests.conftest import World, client_for
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.factories.core import PASSWORD
from tests.sso.saml_idp import SamlIdp

HOST = "http://testserver"


@pytest.fixture
def idp() -> Iterator[SamlIdp]:
    started = SamlIdp()
    yield started
    started.stop()


def saml_connect(world: World, idp: SamlIdp, **extra) -> SsoConnection:
    connection = SsoConnection.objects.create(
        workspace=world.workspace,
        protocol=Protocol.SAML,
        saml_metadata_xml=idp.metadata(),
        saml_idp_entity_id=idp.entity_id,
        allowed_domains=["acme.example.com"],
        **extra,
    )
    # The IdP admin's side: our SP metadata, read from our metadata endpoint.
    metadata = Client().get(f"/accounts/sso/saml/{connection.sp_id}/metadata/")
    assert metadata.status_code == 200
    assert metadata["Content-Type"].startswith("application/samlmetadata+xml")
    idp.trust_sp(metadata.content.decode())
    return connection


@pytest.fixture
def connection(world: World, idp: SamlIdp) -> SsoConnection:
    return saml_connect(world, idp)


def acs_url(connection: SsoConnection) -> str:
    return f"/accounts/sso/saml/{connection.sp_id}/acs/"


def begin(client: Client, who: str = "pat@acme.example.com"):
    """Press "Sign in with SSO"; returns the IdP URL with our AuthnRequest."""
    response = client.post("/accounts/sso/", {"email_or_workspace": who})
    assert response.status_code == 200, response.content[:500]
    link = re.search(r'id="sso-continue" href="([^"]+)"', response.content.decode())
    assert link is not None, response.content[:800]
    return html.unescape(link.group(1))


def post_to_acs(connection: SsoConnection, saml_response: str):
    """The IdP's auto-posting form: cross-site, so without our session cookie."""
    return Client().post(acs_url(connection), {"SAMLResponse": saml_response})


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def assert_failed(response, status: int, code: str, text: str = "") -> None:
    assert response.status_code == status, response.content[:800]
    body = response.content.decode()
    alert = re.search(r'role="alert">([^<]*)<', body)
    shown = alert.group(1) if alert else body[:800]
    assert f'data-code="{code}"' in body, shown
    assert html.escape(text) in body, shown


def sign_in(client: Client, connection: SsoConnection, idp: SamlIdp, **defects):
    request = idp.read_request(begin(client))
    answer = post_to_acs(connection, idp.response(request, **defects))
    return request, answer


# --- journeys that work ----------------------------------------------------------------------


def test_a_new_person_joins_through_the_acs_and_lands_in_the_workspace(
    world: World, connection: SsoConnection, idp: SamlIdp
):
    client = Client()
    request, answer = sign_in(client, connection, idp)

    assert answer.status_code == 303
    assert answer["Location"] == f"/accounts/sso/saml/complete/?request={request.id}"
    assert signed_in_user(client) is None  # the ACS had no session to log in
    landed = client.get(answer["Location"])
    assert landed.status_code == 302
    assert landed["Location"] == "/w/acme-inc/"
    user = signed_in_user(client)
    assert user is not None
    assert user.email == "pat@acme.example.com"
    assert user.full_name == "Pat Example"
    assert Membership.objects.get(workspace=world.workspace, user=user).role == Role.MEMBER
    identity = SsoIdentity.objects.get(connection=connection)
    assert (identity.issuer, identity.subject) == (idp.entity_id, "pat@acme.example.com")
    assert client.session["login_method"] == "sso"
    assert AuditEvent.objects.filter(verb="member.joined_by_sso", actor=user).count() == 1
    assert SamlRequest.objects.get(request_id=request.id).state == "used"


def test_the_authn_request_names_our_acs_entity_id_and_the_email_name_id(
    connection: SsoConnection, idp: SamlIdp
):
    request = idp.read_request(begin(Client()))

    assert request.issuer.text == f"{HOST}/accounts/sso/saml/{connection.sp_id}/metadata/"
    assert request.assertion_consumer_service_url == f"{HOST}{acs_url(connection)}"
    assert request.protocol_binding == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert request.name_id_policy.format == (
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    )
    assert SamlRequest.objects.get(request_id=request.id).state == "sent"


def test_a_signed_response_instead_of_a_signed_assertion_is_accepted(
    connection: SsoConnection, idp: SamlIdp
):
    client = Client()
    _, answer = sign_in(client, connection, idp, sign_assertion=False, sign_response=True)

    assert answer.status_code == 303
    assert client.get(answer["Location"]).status_code == 302
    assert signed_in_user(client) is not None


def test_the_email_comes_from_the_configured_attribute_with_a_persistent_name_id(
    world: World, idp: SamlIdp
):
    connection = saml_connect(world, idp, saml_email_attribute="email")
    client = Client()
    _, answer = sign_in(
        client,
        connection,
        idp,
        name_id="a7b8-c9",
        attributes={"email": ["Pat@Acme.Example.com"], "displayName": ["Pat"]},
    )

    client.get(answer["Location"])
    user = signed_in_user(client)
    assert user is not None
    assert user.email == "pat@acme.example.com"
    assert SsoIdentity.objects.get(connection=connection).subject == "a7b8-c9"


def test_an_existing_member_of_another_workspace_is_not_taken_over(
    world: World, connection: SsoConnection, idp: SamlIdp
):
    pat = UserFactory(email="pat@acme.example.com")
    MembershipFactory(user=pat, workspace=WorkspaceFactory(), role=Role.OWNER)
    client = Client()
    _, answer = sign_in(client, connection, idp)

    response = client.get(answer["Location"])

    assert_failed(response, 409, "sso_account_needs_link")
    assert signed_in_user(client) is None
    assert not Membership.objects.filter(workspace=world.workspace, user=pat).exists()


def test_the_logged_in_owner_of_the_account_links_it(
    world: World, connection: SsoConnection, idp: SamlIdp
):
    pat = UserFactory(email="pat@acme.example.com")
    MembershipFactory(user=pat, workspace=WorkspaceFactory(), role=Role.OWNER)
    client = client_for(pat)
    _, answer = sign_in(client, connection, idp)

    response = client.get(answer["Location"])

    assert response.status_code == 302
    assert SsoIdentity.objects.get(connection=connection).user == pat


# --- refusals: nobody signed in --------------------------------------------------------------


def _refused(client: Client, answer, status: int, code: str, text: str = "") -> None:
    assert_failed(answer, status, code, text)
    assert signed_in_user(client) is None
    assert not SsoIdentity.objects.exists()


def test_an_unsigned_response_is_refused(connection: SsoConnection, idp: SamlIdp):
    client = Client()
    _, answer = sign_in(client, connection, idp, sign_assertion=False, sign_response=False)
    _refused(client, answer, 403, "sso_saml_response_invalid", "it is not signed")


def test_a_response_signed_by_another_key_is_refused(connection: SsoConnection, idp: SamlIdp):
    client = Client()
    _, answer = sign_in(client, connection, idp, forged=True)
    _refused(client, answer, 403, "sso_saml_response_invalid", "does not verify")


def test_a_tampered_assertion_is_refused(connection: SsoConnection, idp: SamlIdp):
    client = Client()
    _, answer = sign_in(
        client, connection, idp, tamper=("pat@acme.example.com<", "boss@acme.example.com<")
    )
    _refused(client, answer, 403, "sso_saml_response_invalid", "does not verify")


def test_another_audience_is_refused(connection: SsoConnection, idp: SamlIdp):
    client = Client()
    _, answer = sign_in(client, connection, idp, audience="https://other.example.com/sp")
    _refused(client, answer, 403, "sso_saml_response_invalid", "audience")


def test_another_destination_is_refused(connection: SsoConnection, idp: SamlIdp):
    client = Client()
    _, answer = sign_in(client, connection, idp, destination="https://other.example.com/acs")
    _refused(client, answer, 403, "sso_saml_response_invalid", "Destination")


def test_an_expired_assertion_is_refused_by_the_pinned_clock(
    connection: SsoConnection, idp: SamlIdp
):
    client = Client()
    request = idp.read_request(begin(client))
    saml_response = idp.response(request)  # valid for 5 minutes, 60 s of leeway
    with time_machine.travel(timedelta(minutes=7)):
        answer = post_to_acs(connection, saml_response)
    _refused(client, answer, 403, "sso_saml_response_invalid", "expired")


def test_a_response_to_a_request_we_did_not_send_is_refused(
    connection: SsoConnection, idp: SamlIdp
):
    client = Client()
    _, answer = sign_in(client, connection, idp, in_response_to="id-not-ours")
    _refused(client, answer, 400, "sso_state_mismatch")


def test_an_idp_initiated_response_is_refused(connection: SsoConnection, idp: SamlIdp):
    client = Client()
    request = idp.read_request(begin(client))
    saml_response = idp.response(request, tamper=(f' InResponseTo="{request.id}"', ""))
    answer = post_to_acs(connection, saml_response)
    _refused(client, answer, 400, "sso_saml_unsolicited")


def test_a_replayed_response_is_refused(connection: SsoConnection, idp: SamlIdp):
    client = Client()
    request = idp.read_request(begin(client))
    saml_response = idp.response(request)
    first = post_to_acs(connection, saml_response)
    client.get(first["Location"])
    client.logout()

    again = post_to_acs(connection, saml_response)

    assert_failed(again, 400, "sso_saml_replayed")
    assert signed_in_user(client) is None


def test_an_answer_posted_into_another_browser_signs_nobody_in(
    connection: SsoConnection, idp: SamlIdp
):
    attacker, victim = Client(), Client()
    _, answer = sign_in(attacker, connection, idp)

    response = victim.get(answer["Location"])  # login CSRF: the victim follows the redirect

    assert_failed(response, 400, "sso_state_mismatch")
    assert signed_in_user(victim) is None


def test_a_domain_that_is_not_allowed_is_refused(connection: SsoConnection, idp: SamlIdp):
    client = Client()
    _, answer = sign_in(client, connection, idp, email="pat@elsewhere.example.org")
    response = client.get(answer["Location"])
    _refused(client, response, 403, "sso_domain_not_allowed")


def test_another_workspaces_acs_refuses_the_answer(
    world: World, connection: SsoConnection, idp: SamlIdp
):
    other = SsoConnection.objects.create(
        workspace=WorkspaceFactory(),
        protocol=Protocol.SAML,
        saml_metadata_xml=idp.metadata(),
        saml_idp_entity_id=idp.entity_id,
        allowed_domains=["globex.example.com"],
    )
    client = Client()
    request = idp.read_request(begin(client))

    answer = post_to_acs(other, idp.response(request))

    _refused(client, answer, 400, "sso_state_mismatch")
    assert SamlRequest.objects.get(request_id=request.id).state == "sent"


def test_sso_required_refuses_passwords_for_saml_workspaces_too(
    world: World, connection: SsoConnection
):
    connection.is_required = True
    connection.break_glass_user = world.owner.user
    connection.save()
    response = Client().post(
        "/accounts/login/", {"email": world.member.user.email, "password": PASSWORD}
    )

    assert response.status_code == 403
    assert "Acme Inc requires single sign-on" in response.content.decode()
    assert "_auth_user_id" not in response.client.session
