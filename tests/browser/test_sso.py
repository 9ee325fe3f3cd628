"""Single sign-on in Chromium, end to end, against a real OpenID Provider (oidc-provider on
node, started here): the log-in page's "Sign in with SSO", the provider's own login form, and
back into the workspace as a new member. Also the admins' settings page, for docs/sso.md."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from alignment.models import Membership, Role
from sso.models import SsoConnection
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.factories.core import PASSWORD
from tests.sso.conftest import connect
from tests.sso.providers import NodeOidcProvider

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def _providers_on_loopback(settings):
    settings.SSO_ALLOW_PRIVATE_ISSUERS = True


@pytest.fixture
def node_provider(live_server) -> Iterator[NodeOidcProvider]:
    provider = NodeOidcProvider(
        client_id=f"alignment-{secrets.token_hex(4)}",
        client_secret=secrets.token_urlsafe(32),
        redirect_uris=[f"{live_server.url}/accounts/sso/callback/"],
        now=int(timezone.now().timestamp()),
    ).start()
    yield provider
    provider.stop()


@pytest.fixture
def loopback_only(page: Page) -> Page:
    """Nothing the pages ask for may leave this machine."""

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            route.abort()

    page.route("**/*", guard)
    return page


def test_a_new_colleague_signs_in_with_sso_and_lands_in_the_workspace(
    loopback_only: Page, world, node_provider: NodeOidcProvider
):
    page = loopback_only
    connect(world, node_provider.issuer, node_provider.client_id, node_provider.client_secret)
    page.goto("/accounts/login/")

    page.get_by_role("link", name="Sign in with SSO").click()
    page.get_by_label("Work e-mail or workspace").fill("lee@acme.example.com")
    page.get_by_role("button", name="Continue").click()
    # The provider's own login page, on its own origin.
    expect(page).to_have_url(re.compile(rf"^{re.escape(node_provider.issuer)}/interaction/"))
    page.get_by_placeholder("Enter any login").fill("lee@acme.example.com")
    page.get_by_placeholder("and password").fill("whatever-the-idp-checks")
    page.get_by_role("button", name="Sign-in").click()

    expect(page).to_have_url(re.compile(r"/w/acme-inc/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Inc")
    expect(page.get_by_text("Welcome to Acme Inc: you joined as Member.")).to_be_visible()
    membership = Membership.objects.get(
        workspace=world.workspace, user__email="lee@acme.example.com"
    )
    assert membership.role == Role.MEMBER


def test_a_domain_that_is_not_allowed_gets_a_page_that_says_so(
    loopback_only: Page, world, node_provider: NodeOidcProvider
):
    page = loopback_only
    connect(world, node_provider.issuer, node_provider.client_id, node_provider.client_secret)
    page.goto("/accounts/sso/?workspace=acme-inc")

    page.get_by_placeholder("Enter any login").fill("eve@elsewhere.example")
    page.get_by_placeholder("and password").fill("x")
    page.get_by_role("button", name="Sign-in").click()

    expect(
        page.get_by_role("heading", name="This e-mail domain may not sign in here")
    ).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("eve@elsewhere.example is not in a domain")
    expect(page.get_by_role("link", name="Log in with a password")).to_be_visible()


def test_an_admin_sets_up_sso_and_the_secret_is_not_shown_again(
    loopback_only: Page, world, node_provider: NodeOidcProvider
):
    page = loopback_only
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.wait_for_url("**/w/acme-inc/")
    page.goto("/w/acme-inc/settings/sso/")

    page.get_by_label("Issuer URL").fill(node_provider.issuer)
    page.get_by_label("Client ID").fill(node_provider.client_id)
    page.get_by_label("Client secret").fill(node_provider.client_secret)
    page.get_by_label("Allowed e-mail domains").fill("acme.example.com")
    page.get_by_role("button", name="Save single sign-on").click()

    expect(page.get_by_text("Single sign-on settings saved.")).to_be_visible()
    expect(page.get_by_text(f"Stored (…{node_provider.client_secret[-4:]})")).to_be_visible()
    expect(page.get_by_label("Client secret")).to_have_value("")
    assert node_provider.client_secret not in page.content()
    assert SsoConnection.objects.get(workspace=world.workspace).issuer == node_provider.issuer
    capture(page, "sso-settings", full_page=True)
