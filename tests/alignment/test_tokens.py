"""The API tokens settings page: create (shown once), list, revoke; admins see everyone's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.models import ApiToken, TokenScope
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db


def url(world, name="tokens", **kwargs):
    return reverse(f"workspace:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


def create(client, world, **data):
    payload = {"name": "CI deploys", "scope": "write", "expires_in_days": "30", **data}
    return client.post(url(world), payload)


def test_the_raw_token_is_shown_once_on_the_next_page(member_client, world):
    response = create(member_client, world)

    assert response.status_code == 303
    assert response["Location"] == url(world, "token_created")
    shown = member_client.get(url(world, "token_created"))
    token = ApiToken.objects.get()
    body = shown.content.decode()
    raw = body.split('<code class="secret" id="new-token">')[1].split("</code>")[0]
    assert raw.startswith(token.prefix)
    assert 'data-copy="#new-token"' in body
    assert "no-store" in shown["Cache-Control"]
    again = member_client.get(url(world, "token_created"), follow=True)
    assert raw not in again.content.decode()
    assert "shown only once" in again.content.decode()
    assert raw not in member_client.get(url(world)).content.decode()


def test_the_shown_token_authenticates(member_client, world):
    create(member_client, world)
    body = member_client.get(url(world, "token_created")).content.decode()
    raw = body.split('id="new-token">')[1].split("</code>")[0]

    response = member_client.__class__(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["token"]["name"] == "CI deploys"


def test_list_shows_own_tokens_with_their_details(member_client, world):
    mine = ApiTokenFactory(
        workspace=world.workspace, user=world.member.user, name="Laptop", scope="read"
    )
    ApiTokenFactory(workspace=world.workspace, user=world.admin.user, name="Admin's")

    body = member_client.get(url(world)).content.decode()

    assert f'id="token-{mine.pk}"' in body
    assert f"<code>{mine.prefix}…</code>" in body
    assert "Read only" in body
    assert "Never used" in body
    assert "Admin&#x27;s" not in body
    assert "All tokens in" not in body


def test_empty_state_tells_what_to_do(viewer_client, world):
    body = viewer_client.get(url(world)).content.decode()
    assert "You have no API tokens here. Name one after where it will be used" in body


def test_admin_sees_all_tokens_of_the_workspace(admin_client, world, world_b):
    other = ApiTokenFactory(workspace=world.workspace, user=world.member.user, name="Member CI")
    elsewhere = ApiTokenFactory(workspace=world_b.workspace, user=world_b.member.user)

    body = admin_client.get(url(world)).content.decode()

    assert "All tokens in Acme Inc" in body
    assert f'id="token-{other.pk}"' in body
    assert f'id="token-{elsewhere.pk}"' not in body


def test_missing_name_re_renders_with_422(member_client, world):
    response = create(member_client, world, name="")

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_viewer_is_offered_read_tokens_only(viewer_client, world):
    body = viewer_client.get(url(world)).content.decode()
    assert '<option value="write"' not in body

    response = create(viewer_client, world, scope="write")

    assert response.status_code == 422
    assert not ApiToken.objects.exists()
    assert create(viewer_client, world, scope="read").status_code == 303
    assert ApiToken.objects.get().scope == TokenScope.READ


def test_never_expiring_token(member_client, world):
    create(member_client, world, expires_in_days="")
    assert ApiToken.objects.get().expires_at is None


def test_member_revokes_own_token(member_client, world):
    token = ApiTokenFactory(workspace=world.workspace, user=world.member.user)

    response = member_client.post(url(world, "token_revoke", token_id=token.pk))

    assert response.status_code == 303
    token.refresh_from_db()
    assert token.status == "revoked"


def test_member_cannot_revoke_someone_elses_token(member_client, world):
    token = ApiTokenFactory(workspace=world.workspace, user=world.admin.user)

    response = member_client.post(url(world, "token_revoke", token_id=token.pk))

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_admin_revokes_anyones_token(admin_client, world):
    token = ApiTokenFactory(workspace=world.workspace, user=world.member.user)

    admin_client.post(url(world, "token_revoke", token_id=token.pk))

    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoking_another_workspaces_token_is_404(admin_client, world, world_b):
    token = ApiTokenFactory(workspace=world_b.workspace, user=world_b.member.user)

    response = admin_client.post(url(world, "token_revoke", token_id=token.pk))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_status_column_shows_expired_and_revoked(member_client, world):
    ApiTokenFactory(workspace=world.workspace, user=world.member.user, expires_at=timezone.now())
    ApiTokenFactory(workspace=world.workspace, user=world.member.user, revoked_at=timezone.now())

    body = member_client.get(url(world)).content.decode()

    assert '<span class="badge neutral">Expired</span>' in body
    assert '<span class="badge neutral">Revoked</span>' in body
