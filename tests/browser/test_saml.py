"""SAML single sign-on in Chromium, end to end: "Sign in with SSO", the IdP's own sign-in
page (a pysaml2 IdP started here, on another site than the app), its auto-posting form to the
ACS (a cross-site POST, so without our SameSite=Lax session cookie), and back into the
workspace as a new member."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from alignment.models import Membership, Role
from sso.models import Protocol, SsoConnection
from tests.sso.saml_idp import SamlIdp

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def served_idp(live_server) -> Iterator[SamlIdp]:
    app_host = urlsplit(live_server.url).hostname
    # Another site than the app's: 127.0.0.1 and localhost are different sites to a browser.
    idp = SamlIdp().serve(host="localhost" if app_host == "127.0.0.1" else "127.0.0.1")
    yield idp
    idp.stop()


def test_a_new_colleague_signs_in_with_saml_and_lands_in_the_workspace(
    page: Page, world, served_idp: SamlIdp, live_server
):
    connection = SsoConnection.objects.create(
        workspace=world.workspace,
        protocol=Protocol.SAML,
        saml_metadata_xml=served_idp.metadata(),
        saml_idp_entity_id=served_idp.entity_id,
        allowed_domains=["acme.example.com"],
    )
    sp_metadata = Client(SERVER_NAME=urlsplit(live_server.url).hostname).get(
        f"/accounts/sso/saml/{connection.sp_id}/metadata/",
        SERVER_PORT=str(urlsplit(live_server.url).port),
    )
    served_idp.trust_sp(sp_metadata.content.decode())
    acs_posts: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: acs_posts.append(r.all_headers()) if r.url.endswith("/acs/") else None,
    )
    page.goto("/accounts/login/")

    page.get_by_role("link", name="Sign in with SSO").click()
    page.get_by_label("Work e-mail or workspace").fill("lee@acme.example.com")
    page.get_by_role("button", name="Continue").click()
    # The IdP's own page, on its own site.
    expect(page).to_have_url(re.compile(rf"^{re.escape(served_idp.base_url)}/sso/redirect"))
    page.get_by_label("E-mail").fill("lee@acme.example.com")
    page.get_by_role("button", name="Sign in at the IdP").click()

    expect(page).to_have_url(re.compile(r"/w/acme-inc/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Inc")
    expect(page.get_by_text("Welcome to Acme Inc: you joined as Member.")).to_be_visible()
    membership = Membership.objects.get(
        workspace=world.workspace, user__email="lee@acme.example.com"
    )
    assert membership.role == Role.MEMBER
    # The IdP's POST was cross-site: Chromium sent it without our session cookie, which is
    # why the ACS checks the stored request and the session is bound on the way back.
    assert len(acs_posts) == 1
    assert "sessionid" not in acs_posts[0].get("cookie", "")
