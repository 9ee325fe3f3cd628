"""The workspace core API: bearer tokens, the error body, members, invitations, audit, tokens."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from alignment.models import ApiToken, AuditEvent, Invitation, Membership, Role
from tests.conftest import api_client_for
from tests.factories import ApiTokenFactory, InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def api(world, path=""):
    return f"/api/v1/workspaces/{world.workspace.slug}/{path}"


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def patch(client: Client, url: str, data: dict) -> object:
    return client.patch(url, json.dumps(data), content_type="application/json")


def post(client: Client, url: str, data: dict | None = None) -> object:
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields", "details"}
    return body["error"]


# --- Bearer tokens -------------------------------------------------------------------------


def test_a_valid_token_authenticates_and_records_last_use(world):
    token = ApiTokenFactory(raw="aln_valid", workspace=world.workspace, user=world.member.user)

    response = bearer("aln_valid").get(api(world, "members/"))

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_no_credentials_is_401(client, world):
    response = client.get(api(world, "members/"))
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_a_wrong_token_is_401_with_the_error_body(world):
    response = bearer("aln_wrong").get(api(world, "members/"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error(response) == {
        "code": "authentication_failed",
        "message": "The API token is not valid.",
        "fields": {},
        "details": {},
    }


def test_a_revoked_token_is_refused_at_once(world, member_client):
    token = ApiTokenFactory(raw="aln_soon_gone", workspace=world.workspace, user=world.member.user)
    client = bearer("aln_soon_gone")
    assert client.get(api(world, "members/")).status_code == 200

    member_client.post(f"/w/{world.workspace.slug}/settings/tokens/{token.pk}/revoke/")
    response = client.get(api(world, "members/"))

    assert response.status_code == 401
    assert error(response)["message"] == "The API token is revoked."


def test_an_expired_token_is_401(world):
    ApiTokenFactory(
        raw="aln_old",
        workspace=world.workspace,
        user=world.member.user,
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    response = bearer("aln_old").get(api(world, "members/"))
    assert response.status_code == 401
    assert error(response)["message"] == "The API token is expired."


def test_a_read_token_cannot_write(world):
    client = api_client_for(world.owner, scope="read")

    response = patch(client, api(world, f"members/{world.member.pk}/"), {"role": "viewer"})

    assert response.status_code == 403
    assert error(response)["code"] == "token_scope"
    world.member.refresh_from_db()
    assert world.member.role == Role.MEMBER


def test_a_token_works_only_in_its_own_workspace(world, world_b):
    # The person belongs to both workspaces, but the token is bound to A.
    MembershipFactory(workspace=world_b.workspace, user=world.owner.user, role=Role.OWNER)
    client = api_client_for(world.owner)

    response = client.get(api(world_b, "members/"))

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_another_workspace_is_404_for_a_session_too(owner_client, world_b):
    assert owner_client.get(api(world_b, "members/")).status_code == 404


# --- The error body for each status -------------------------------------------------------


def test_400_names_the_bad_fields(admin_api, world):
    response = post(admin_api, api(world, "invitations/"), {"email": "nope", "role": "boss"})

    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid"
    assert body["fields"] == {
        "email": ["Enter a valid email address."],
        "role": ['"boss" is not a valid choice.'],
    }


def test_403_says_which_role_is_needed(member_api, world):
    response = member_api.get(api(world, "audit-events/"))

    assert response.status_code == 403
    assert error(response) == {
        "code": "role_required",
        "message": "This needs the admin role or higher in this workspace.",
        "fields": {},
        "details": {"role": "admin"},
    }


def test_404_for_a_missing_member(member_api, world):
    response = member_api.get(api(world, "members/999999/"))
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_409_when_the_last_owner_would_be_demoted(world):
    client = api_client_for(world.owner)

    response = patch(client, api(world, f"members/{world.owner.pk}/"), {"role": "admin"})

    assert response.status_code == 409
    assert error(response)["code"] == "last_owner"
    world.owner.refresh_from_db()
    assert world.owner.role == Role.OWNER


def test_422_when_a_rule_refuses_valid_input(viewer_client, world):
    response = post(viewer_client, api(world, "tokens/"), {"name": "CI", "scope": "write"})

    assert response.status_code == 422
    assert error(response)["fields"] == {"scope": ["Viewers can only create read-only tokens."]}
    assert not ApiToken.objects.filter(user=world.viewer.user).exists()


# --- Members -------------------------------------------------------------------------------


def test_members_list_is_cursor_paginated(viewer_api, world):
    response = viewer_api.get(api(world, "members/?page_size=3"))

    body = response.json()
    assert response.status_code == 200
    assert len(body["results"]) == 3
    assert body["next"] is not None
    rest = viewer_api.get(body["next"]).json()
    emails = {m["user"]["email"] for m in body["results"] + rest["results"]}
    assert emails == {m.user.email for m in Membership.objects.for_workspace(world.workspace)}


def test_member_detail_shape(viewer_api, world):
    body = viewer_api.get(api(world, f"members/{world.admin.pk}/")).json()
    assert set(body) == {"id", "user", "role", "joined_at"}
    assert body["user"]["email"] == world.admin.user.email
    assert body["role"] == "admin"


def test_owner_changes_a_role(world):
    response = patch(
        api_client_for(world.owner), api(world, f"members/{world.viewer.pk}/"), {"role": "member"}
    )

    assert response.status_code == 200
    assert response.json()["role"] == "member"
    world.viewer.refresh_from_db()
    assert world.viewer.role == Role.MEMBER


def test_admin_cannot_change_a_role(admin_api, world):
    response = patch(admin_api, api(world, f"members/{world.viewer.pk}/"), {"role": "admin"})

    assert response.status_code == 403
    world.viewer.refresh_from_db()
    assert world.viewer.role == Role.VIEWER


def test_owner_removes_a_member(world):
    response = api_client_for(world.owner).delete(api(world, f"members/{world.member.pk}/"))

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=world.member.pk).exists()


def test_a_member_cannot_remove_others_but_may_leave(member_api, world):
    refused = member_api.delete(api(world, f"members/{world.viewer.pk}/"))
    left = post(member_api, api(world, "members/leave/"))

    assert refused.status_code == 403
    assert Membership.objects.filter(pk=world.viewer.pk).exists()
    assert left.status_code == 204
    assert not Membership.objects.filter(pk=world.member.pk).exists()


# --- Invitations ---------------------------------------------------------------------------


def test_admin_invites_through_the_api(
    admin_api, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin_api, api(world, "invitations/"), {"email": "Api@Example.com"})

    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"], body["status"]) == ("api@example.com", "member", "pending")
    assert body["invited_by"] == world.admin.user.email
    assert "token" not in body
    assert [m.to for m in mailoutbox] == [["api@example.com"]]


def test_invitations_list_filters_by_status(admin_api, world):
    InvitationFactory(workspace=world.workspace, email="open@example.com")
    InvitationFactory(
        workspace=world.workspace, email="done@example.com", accepted_at=timezone.now()
    )

    response = admin_api.get(api(world, "invitations/?status=accepted"))

    assert [i["email"] for i in response.json()["results"]] == ["done@example.com"]


def test_members_cannot_list_invitations(member_api, world):
    assert member_api.get(api(world, "invitations/")).status_code == 403


def test_delete_revokes_an_invitation(admin_api, world):
    invitation = InvitationFactory(workspace=world.workspace)

    response = admin_api.delete(api(world, f"invitations/{invitation.pk}/"))

    assert response.status_code == 204
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_resend_through_the_api_makes_a_new_invitation(admin_api, world):
    invitation = InvitationFactory(workspace=world.workspace, email="again@example.com")

    response = post(admin_api, api(world, f"invitations/{invitation.pk}/resend/"))

    assert response.status_code == 201
    assert response.json()["id"] != invitation.pk
    assert Invitation.objects.get(pk=invitation.pk).status == "revoked"


def test_revoking_another_workspaces_invitation_is_404(admin_api, world, world_b):
    invitation = InvitationFactory(workspace=world_b.workspace)

    assert admin_api.delete(api(world, f"invitations/{invitation.pk}/")).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- Audit events --------------------------------------------------------------------------


def audit(world, verb, actor, at):
    return AuditEvent.objects.create(
        workspace=world.workspace, actor=actor, verb=verb, object_type="team", created_at=at
    )


def test_audit_events_filter_by_verb_actor_and_time(admin_api, world):
    now = timezone.now()
    wanted = audit(world, "team.created", world.owner.user, now - timedelta(days=2))
    audit(world, "team.created", world.admin.user, now - timedelta(days=2))
    audit(world, "team.deleted", world.owner.user, now - timedelta(days=2))
    audit(world, "team.created", world.owner.user, now - timedelta(days=10))

    since = (now - timedelta(days=3)).isoformat()
    until = (now - timedelta(days=1)).isoformat()
    response = admin_api.get(
        api(world, "audit-events/"),
        {"verb": "team.created", "actor": world.owner.user.pk, "since": since, "until": until},
    )

    assert response.status_code == 200
    assert [e["id"] for e in response.json()["results"]] == [wanted.pk]
    assert response.json()["results"][0]["actor"]["email"] == world.owner.user.email


def test_audit_events_are_cursor_paginated_newest_first(admin_api, world):
    start = timezone.now() - timedelta(hours=1)
    events = [audit(world, "x.y", world.admin.user, start + timedelta(minutes=n)) for n in range(5)]

    first = admin_api.get(api(world, "audit-events/?page_size=2")).json()
    second = admin_api.get(first["next"]).json()

    assert [e["id"] for e in first["results"]] == [events[4].pk, events[3].pk]
    assert [e["id"] for e in second["results"]] == [events[2].pk, events[1].pk]


def test_a_bad_audit_filter_is_400(admin_api, world):
    response = admin_api.get(api(world, "audit-events/?since=soon&actor=x"))

    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"since", "actor"}


# --- Tokens --------------------------------------------------------------------------------


def test_create_returns_the_raw_token_once(member_client, member_api, world):
    response = post(member_client, api(world, "tokens/"), {"name": "Deploys", "scope": "read"})

    body = response.json()
    assert response.status_code == 201
    assert body["token"].startswith(body["prefix"])
    assert body["expires_at"] is not None
    assert bearer(body["token"]).get(api(world, "members/")).status_code == 200
    listed = member_api.get(api(world, "tokens/")).json()["results"]
    assert all("token" not in t for t in listed)


def test_token_list_holds_only_your_own(member_api, world):
    ApiTokenFactory(workspace=world.workspace, user=world.admin.user)

    listed = member_api.get(api(world, "tokens/")).json()["results"]

    assert {t["id"] for t in listed} == set(
        ApiToken.objects.filter(user=world.member.user).values_list("pk", flat=True)
    )


def test_a_token_without_expiry(member_client, world):
    body = post(
        member_client, api(world, "tokens/"), {"name": "Forever", "expires_in_days": None}
    ).json()
    assert body["expires_at"] is None


def test_a_token_cannot_create_tokens(member_api, world):
    before = ApiToken.objects.count()

    response = post(member_api, api(world, "tokens/"), {"name": "Escalate", "scope": "write"})

    assert response.status_code == 403
    assert error(response)["code"] == "session_required"
    assert ApiToken.objects.count() == before


def test_delete_revokes_your_token(member_api, world):
    token = ApiTokenFactory(workspace=world.workspace, user=world.member.user)

    assert member_api.delete(api(world, f"tokens/{token.pk}/")).status_code == 204
    token.refresh_from_db()
    assert token.status == "revoked"


def test_members_cannot_revoke_others_tokens_but_admins_can(member_api, admin_api, world):
    token = ApiTokenFactory(workspace=world.workspace, user=world.viewer.user)

    refused = member_api.delete(api(world, f"tokens/{token.pk}/"))
    token.refresh_from_db()
    assert refused.status_code == 403
    assert token.revoked_at is None

    assert admin_api.delete(api(world, f"tokens/{token.pk}/")).status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_member_patch_without_a_role_changes_nothing(world):
    owner = api_client_for(world.owner)
    url = api(world, f"members/{world.viewer.pk}/")

    response = patch(owner, url, {})

    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    assert not AuditEvent.objects.filter(verb__startswith="member.").exists()
    assert patch(owner, url, {"role": "boss"}).status_code == 400
