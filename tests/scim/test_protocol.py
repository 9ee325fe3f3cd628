"""SCIM discovery, authentication, errors and the token settings page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.models import AuditEvent, Membership, Role
from scim.models import ScimToken
from scim.services import scim_token_create
from tests.conftest import api_client_for, client_for
from tests.scim.conftest import ScimClient, fixture

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def test_service_provider_config_says_what_is_supported(scim):
    body = scim.get("ServiceProviderConfig").json()

    assert body["patch"] == {"supported": True}
    assert body["filter"] == {"supported": True, "maxResults": 200}
    assert body["bulk"]["supported"] is False
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_and_schemas_are_discoverable(scim):
    types = scim.get("ResourceTypes").json()
    schemas = scim.get("Schemas").json()

    assert [t["id"] for t in types["Resources"]] == ["User", "Group"]
    assert scim.get("ResourceTypes/Group").json()["endpoint"] == "/Groups"
    assert scim.get("ResourceTypes/Device").status_code == 404
    assert {s["id"] for s in schemas["Resources"]} == {
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    }
    user = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    assert user["attributes"][0]["name"] == "userName"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer scim_wrong", "Basic dXNlcjpwYXNz"])
def test_no_or_a_wrong_token_is_401_in_scim_format(world, header):
    client = ScimClient(world.workspace.slug, "unused")
    client.client = client.client.__class__(**({"HTTP_AUTHORIZATION": header} if header else {}))

    response = client.get("Users")

    assert response.status_code == 401
    assert response.json()["schemas"] == [ERROR]
    assert response["WWW-Authenticate"] == 'Bearer realm="SCIM"'


def test_a_revoked_token_is_401(world, scim):
    ScimToken.objects.update(revoked_at=timezone.now())

    assert scim.get("Users").status_code == 401


def test_api_tokens_and_sessions_do_not_open_scim(world):
    url = f"/scim/v2/{world.workspace.slug}/Users"

    assert api_client_for(world.owner).get(url).status_code == 401
    assert client_for(world.owner.user).get(url).status_code == 401


def test_a_token_of_workspace_a_is_404_under_workspace_b(scim, world_b):
    response = scim.client.get(f"/scim/v2/{world_b.workspace.slug}/Users")

    assert response.status_code == 404
    assert response.json()["schemas"] == [ERROR]


def test_a_token_stops_when_its_creator_is_no_longer_an_admin(admin_scim, world):
    Membership.objects.filter(pk=world.admin.pk).update(role=Role.MEMBER)

    response = admin_scim.get("Users")

    assert response.status_code == 401
    assert "no longer an admin" in response.json()["detail"]


def test_last_use_is_recorded(scim):
    scim.get("ServiceProviderConfig")

    assert ScimToken.objects.get().last_used_at is not None


def test_unsupported_method_is_405(scim):
    response = scim.put("Users", fixture("okta_create_user"))

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


def test_writes_need_no_csrf_token(world):
    _token, raw = scim_token_create(actor=world.owner, name="Okta")
    client = ScimClient(world.workspace.slug, raw)
    client.client.handler.enforce_csrf_checks = True

    assert client.post("Users", fixture("okta_create_user")).status_code == 201


# --- Settings page --------------------------------------------------------------------------


def tokens_url(world) -> str:
    return reverse("scim_settings:tokens", kwargs={"slug": world.workspace.slug})


def test_an_admin_creates_a_token_and_sees_it_once(admin_client, world):
    response = admin_client.post(tokens_url(world), {"name": "Okta"})

    assert response.status_code == 303
    shown = admin_client.get(response["Location"]).content.decode()
    token = ScimToken.objects.get()
    assert token.prefix in shown
    assert "http://testserver/scim/v2/acme-inc" in shown
    raw = shown.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("scim_")
    assert token.token_hash != raw  # only the hash is stored
    assert ScimClient(world.workspace.slug, raw).get("Users").status_code == 200
    again = admin_client.get(response["Location"])
    assert again.status_code == 303  # shown once
    assert AuditEvent.objects.filter(verb="scim_token.created").exists()


def test_the_list_shows_last_use_and_revoking_stops_the_token(admin_client, world, scim):
    scim.get("Users")
    token = ScimToken.objects.get()

    page = admin_client.get(tokens_url(world)).content.decode()
    assert f'id="scim-token-{token.pk}"' in page
    assert "ago</time>" in page

    url = reverse(
        "scim_settings:token_revoke",
        kwargs={"slug": world.workspace.slug, "scim_token_id": token.pk},
    )
    assert admin_client.post(url).status_code == 303
    assert scim.get("Users").status_code == 401
    assert AuditEvent.objects.filter(verb="scim_token.revoked").exists()


def test_members_cannot_manage_scim_tokens(member_client, world):
    assert member_client.get(tokens_url(world)).status_code == 403
    assert member_client.post(tokens_url(world), {"name": "Okta"}).status_code == 403
    assert not ScimToken.objects.exists()


def test_a_token_without_a_name_is_422(admin_client, world):
    assert admin_client.post(tokens_url(world), {"name": ""}).status_code == 422
    assert not ScimToken.objects.exists()
