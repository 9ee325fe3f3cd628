"""The admins' single sign-on settings, and "SSO required" at the password log-in."""

from __future__ import annotations

import pytest
from django.test import Client

from alignment.models import AuditEvent, Role
from sso.models import SsoConnection
from tests.conftest import World, build_world
from tests.factories.core import PASSWORD
from tests.sso.conftest import connect
from tests.sso.providers import ScriptedProvider

URL = "/w/acme-inc/settings/sso/"


def form(provider: ScriptedProvider, **overrides) -> dict[str, str]:
    data = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "allowed_domains": "acme.example.com, @Acme.Example.ORG",
        "is_enabled": "on",
        "auto_join": "on",
        "default_role": Role.VIEWER,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_connects_a_provider_and_the_secret_is_never_shown_back(
    world: World, admin_client: Client, provider: ScriptedProvider
):
    response = admin_client.post(URL, form(provider))

    assert response.status_code == 303
    connection = SsoConnection.objects.get(workspace=world.workspace)
    assert connection.allowed_domains == ["acme.example.com", "acme.example.org"]
    assert connection.default_role == Role.VIEWER
    assert connection.client_secret == provider.client_secret
    page = admin_client.get(URL).content.decode()
    assert provider.client_secret not in page
    assert f"Stored ({connection.client_secret_hint})" in page
    assert "http://testserver/accounts/sso/callback/" in page
    (event,) = AuditEvent.objects.filter(verb="sso.created")
    assert provider.client_secret not in str(event.after)


def test_saving_without_a_secret_keeps_the_stored_one(
    world: World, admin_client: Client, provider: ScriptedProvider, connection: SsoConnection
):
    response = admin_client.post(
        URL, form(provider, client_secret="", default_role=Role.MEMBER, version="1")
    )

    assert response.status_code == 303
    connection.refresh_from_db()
    assert connection.client_secret == provider.client_secret
    assert connection.default_role == Role.MEMBER


def test_an_issuer_whose_discovery_names_another_issuer_is_refused(
    world: World, admin_client: Client, provider: ScriptedProvider
):
    provider.advertised_issuer = "https://login.example.com"

    response = admin_client.post(URL, form(provider))

    assert response.status_code == 422
    assert "names the issuer" in response.content.decode()
    assert not SsoConnection.objects.exists()


def test_an_issuer_that_does_not_answer_is_refused(world: World, admin_client: Client, provider):
    response = admin_client.post(URL, form(provider, issuer="http://127.0.0.1:9"))

    assert response.status_code == 422
    assert "cannot be reached" not in response.content.decode()  # a field error, not a page
    assert "did not answer" in response.content.decode()
    assert not SsoConnection.objects.exists()


def test_a_private_issuer_is_refused_unless_allowed(
    world: World, admin_client: Client, provider: ScriptedProvider, settings
):
    settings.SSO_ALLOW_PRIVATE_ISSUERS = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

    response = admin_client.post(URL, form(provider))

    assert response.status_code == 422
    assert "SSO_ALLOW_PRIVATE_ISSUERS" in response.content.decode()
    assert not SsoConnection.objects.exists()


def test_owner_is_never_the_default_role(world: World, admin_client: Client, provider):
    response = admin_client.post(URL, form(provider, default_role=Role.OWNER))

    assert response.status_code == 422
    assert not SsoConnection.objects.exists()


def test_requiring_sso_needs_a_break_glass_owner(world: World, admin_client: Client, provider):
    response = admin_client.post(URL, form(provider, is_required="on"))

    assert response.status_code == 422
    assert "break-glass owner" in response.content.decode()
    assert not SsoConnection.objects.exists()


def test_a_break_glass_user_must_be_an_owner(world: World, admin_client: Client, provider):
    response = admin_client.post(
        URL, form(provider, is_required="on", break_glass_user=str(world.admin.user.pk))
    )

    assert response.status_code == 422
    assert not SsoConnection.objects.exists()


def test_a_stale_form_is_refused(
    world: World, admin_client: Client, provider: ScriptedProvider, connection: SsoConnection
):
    SsoConnection.objects.filter(pk=connection.pk).update(version=5)

    response = admin_client.post(URL, form(provider, version="1", default_role=Role.ADMIN))

    assert response.status_code == 409
    connection.refresh_from_db()
    assert connection.default_role == Role.MEMBER


def test_removing_sso_keeps_the_members(
    world: World, admin_client: Client, connection: SsoConnection
):
    response = admin_client.post(f"{URL}delete/")

    assert response.status_code == 303
    assert not SsoConnection.objects.exists()
    assert world.workspace.memberships.count() == 4
    assert AuditEvent.objects.filter(verb="sso.deleted").count() == 1


def test_a_member_cannot_see_the_settings(world: World, member_client: Client, connection):
    assert member_client.get(URL).status_code == 403


# --- SSO required at the password log-in -----------------------------------------------------


@pytest.fixture
def required(world: World, provider: ScriptedProvider) -> SsoConnection:
    """Acme requires single sign-on; its owner is the break-glass owner."""
    return connect(
        world,
        provider.issuer,
        provider.client_id,
        provider.client_secret,
        is_required=True,
        break_glass_user=world.owner.user,
    )


def password_login(email: str):
    return Client().post("/accounts/login/", {"email": email, "password": PASSWORD})


def test_sso_required_refuses_a_members_password_and_says_where_to_go(
    world: World, required: SsoConnection
):
    response = password_login(world.member.user.email)

    assert response.status_code == 403
    assert "Acme Inc requires single sign-on" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_the_break_glass_owner_still_logs_in_with_a_password(world: World, required: SsoConnection):
    response = password_login(world.owner.user.email)

    assert response.status_code == 302
    assert response.client.session["_auth_user_id"] == str(world.owner.user.pk)


def test_a_wrong_password_is_still_just_a_wrong_password(world: World, required):
    response = Client().post(
        "/accounts/login/", {"email": world.member.user.email, "password": "wrong-password"}
    )

    assert response.status_code == 400
    assert "do not match" in response.content.decode()


def test_sso_that_is_not_required_leaves_passwords_alone(world: World, connection):
    response = password_login(world.member.user.email)

    assert response.status_code == 302


def test_people_of_other_workspaces_are_not_affected(world: World, required: SsoConnection):
    other = build_world("globex")

    response = password_login(other.member.user.email)

    assert response.status_code == 302


def test_the_login_page_offers_sso(db):
    page = Client().get("/accounts/login/?next=/w/acme-inc/").content.decode()

    assert 'href="/accounts/sso/?next=/w/acme-inc/"' in page
    assert "Sign in with SSO" in page


def test_guest_is_never_the_default_role(world: World, admin_client: Client, provider):
    # A guest is invited to named teams on purpose; a sign-in names none (docs/teams.md).
    response = admin_client.post(URL, form(provider, default_role=Role.GUEST))

    assert response.status_code == 422
    assert not SsoConnection.objects.exists()


def test_the_database_refuses_a_guest_default_role(world: World, provider):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        connect(world, provider.issuer, provider.client_id, "secret", default_role=Role.GUEST)
