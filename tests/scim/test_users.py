"""SCIM Users: Okta's and Entra's real request shapes, and what each does to the workspace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from alignment.models import ApiToken, AuditEvent, Membership, Role, TeamMember, User
from scim.models import ScimUser
from tests.conftest import api_client_for, client_for
from tests.factories.core import MembershipFactory, UserFactory, WorkspaceFactory
from tests.scim.conftest import fixture

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def create_okta_user(scim):
    response = scim.post("Users", fixture("okta_create_user"))
    assert response.status_code == 201, response.content
    return response.json()


def session_of(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session.create()
    return session.session_key


# --- Create, read, list ---------------------------------------------------------------------


def test_okta_creates_a_member_with_a_new_account(scim, world):
    body = create_okta_user(scim)

    user = User.objects.get(email="test.user@okta.local")
    membership = Membership.objects.get(workspace=world.workspace, user=user)
    assert membership.role == Role.MEMBER
    assert user.full_name == "Test User"
    assert not user.has_usable_password()  # Okta's password is not taken: sign in by SSO/reset
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert body["userName"] == "test.user@okta.local"
    assert body["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert body["active"] is True
    assert body["name"] == {"formatted": "Test User", "givenName": "Test", "familyName": "User"}
    assert body["emails"] == [{"value": "test.user@okta.local", "type": "work", "primary": True}]
    assert body["meta"]["location"] == f"http://testserver/scim/v2/acme-inc/Users/{body['id']}"
    assert AuditEvent.objects.filter(verb="scim.user_provisioned", object_id=body["id"]).exists()


def test_the_create_answer_has_the_scim_media_type_and_location(scim):
    response = scim.post("Users", fixture("okta_create_user"))

    assert response["Content-Type"] == "application/scim+json"
    assert response["Location"] == response.json()["meta"]["location"]


def test_entra_user_whose_username_is_no_email_gets_the_work_email(scim, world):
    body = scim.post("Users", fixture("entra_create_user")).json()

    user = User.objects.get(pk=ScimUser.objects.get(pk=body["id"]).user_id)
    assert user.email == "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
    assert user.full_name == "givenName familyName"
    assert body["userName"] == "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"


def test_okta_finds_the_user_by_username_filter_case_insensitively(scim):
    created = create_okta_user(scim)

    response = scim.get("Users", filter='userName eq "Test.User@OKTA.local"')

    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 1
    assert [r["id"] for r in body["Resources"]] == [created["id"]]


def test_a_filter_that_matches_nothing_is_an_empty_list(scim):
    body = scim.get("Users", filter='userName eq "nobody@example.com"').json()

    assert (body["totalResults"], body["itemsPerPage"], body["Resources"]) == (0, 0, [])


def test_filter_by_external_id_and_id(scim):
    created = create_okta_user(scim)

    by_external = scim.get("Users", filter='externalId eq "00ujl29u0le5T6Aj10h7"').json()
    by_id = scim.get("Users", filter=f'id eq "{created["id"]}" and active eq true').json()

    assert [r["id"] for r in by_external["Resources"]] == [created["id"]]
    assert [r["id"] for r in by_id["Resources"]] == [created["id"]]


@pytest.mark.parametrize(
    "bad",
    ['userName co "test"', 'title eq "x"', "userName eq test", 'userName eq "a" or id eq "1"'],
)
def test_an_unsupported_filter_is_400_invalid_filter(scim, bad):
    response = scim.get("Users", filter=bad)

    assert response.status_code == 400
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["scimType"] == "invalidFilter"
    assert body["status"] == "400"


def test_okta_pagination_with_start_index_and_count(scim):
    ids = []
    for n in range(5):
        body = fixture("okta_create_user")
        body["userName"] = body["emails"][0]["value"] = f"person{n}@okta.local"
        ids.append(scim.post("Users", body).json()["id"])

    page = scim.get("Users", startIndex=2, count=2).json()
    past_end = scim.get("Users", startIndex=9, count=2).json()
    zero = scim.get("Users", startIndex=0, count=0).json()

    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["id"] for r in page["Resources"]] == ids[1:3]
    assert (past_end["totalResults"], past_end["Resources"]) == (5, [])
    assert (zero["startIndex"], zero["itemsPerPage"], zero["totalResults"]) == (1, 0, 5)


def test_count_is_capped_at_200_and_must_be_a_number(scim):
    assert scim.get("Users", count=10_000).status_code == 200
    response = scim.get("Users", count="lots")
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_get_a_user_and_a_missing_one(scim):
    created = create_okta_user(scim)

    assert scim.get(f"Users/{created['id']}").json()["userName"] == "test.user@okta.local"
    missing = scim.get("Users/999999")
    assert missing.status_code == 404
    assert missing.json() == {
        "schemas": [ERROR],
        "status": "404",
        "detail": "User 999999 not found.",
    }
    assert scim.get("Users/not-a-number").status_code == 404


def test_creating_the_same_username_twice_is_409_uniqueness(scim):
    create_okta_user(scim)
    again = fixture("okta_create_user")
    again["emails"][0]["value"] = "someone.else@okta.local"

    response = scim.post("Users", again)

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert ScimUser.objects.count() == 1


def test_the_same_person_under_another_username_is_409(scim):
    create_okta_user(scim)
    again = fixture("okta_create_user")
    again["userName"] = "other-login"

    assert scim.post("Users", again).status_code == 409


def test_an_existing_member_is_adopted_with_their_role(scim, world):
    body = fixture("okta_create_user")
    body["userName"] = body["emails"][0]["value"] = world.admin.user.email

    response = scim.post("Users", body)

    assert response.status_code == 201
    assert Membership.objects.get(pk=world.admin.pk).role == Role.ADMIN
    assert AuditEvent.objects.filter(verb="scim.user_linked").exists()


def test_a_person_of_another_workspace_keeps_their_name_and_email(scim, world_b):
    elsewhere = world_b.member.user
    body = fixture("okta_create_user")
    body["userName"] = body["emails"][0]["value"] = elsewhere.email
    body["displayName"] = "Renamed By Acme"

    assert scim.post("Users", body).status_code == 201

    elsewhere.refresh_from_db()
    assert elsewhere.full_name == "globex member"


def test_a_user_without_any_email_is_400(scim):
    body = fixture("entra_create_user")
    body["emails"] = []

    response = scim.post("Users", body)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


@pytest.mark.parametrize("raw", [b"{not json", b'{"userName": 5}', b"[]"])
def test_malformed_bodies_are_400(scim, raw):
    response = scim.client.generic(
        "POST", scim.base + "Users", raw, content_type="application/scim+json"
    )

    assert response.status_code == 400
    assert response.json()["scimType"] in ("invalidSyntax", "invalidValue")


# --- Replace and PATCH ----------------------------------------------------------------------


def test_okta_replaces_a_user_with_put(scim):
    created = create_okta_user(scim)

    response = scim.put(
        f"Users/{created['id']}", fixture("okta_replace_user", user_id=created["id"])
    )

    assert response.status_code == 200
    assert response.json()["name"]["givenName"] == "Another"
    assert User.objects.get(email="test.user@okta.local").full_name == "Another User"


def test_entra_updates_email_and_family_name(scim):
    created = scim.post("Users", fixture("entra_create_user")).json()

    response = scim.patch(f"Users/{created['id']}", fixture("entra_update_multi_valued"))

    body = response.json()
    assert response.status_code == 200
    assert body["emails"][0]["value"] == "updatedemail@microsoft.com"
    assert body["name"]["familyName"] == "updatedFamilyName"
    assert User.objects.filter(email="updatedemail@microsoft.com").exists()


def test_entra_renames_the_username(scim):
    created = scim.post("Users", fixture("entra_create_user")).json()

    body = scim.patch(f"Users/{created['id']}", fixture("entra_update_single_valued")).json()

    assert body["userName"] == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"


@pytest.mark.parametrize(
    "name", ["entra_replace_multiple_pathless", "entra_replace_multiple_paths"]
)
def test_entra_replaces_several_attributes_in_either_shape(scim, name):
    created = scim.post("Users", fixture("entra_create_user")).json()

    response = scim.patch(f"Users/{created['id']}", fixture(name))

    body = response.json()
    assert response.status_code == 200, body
    assert body["displayName"] == "Pvlo"
    assert body["name"]["givenName"] == "Gtfd"
    assert body["name"]["familyName"] == "Pkqf"
    assert body["externalId"] == "Eqpj"
    assert body["emails"][0]["value"] == "testbcwqnm@test.microsoft.com"


def test_a_patch_with_an_unknown_op_is_400_invalid_syntax(scim):
    created = create_okta_user(scim)
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "merge", "path": "active", "value": False}],
    }

    response = scim.patch(f"Users/{created['id']}", body)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"
    assert ScimUser.objects.get(pk=created["id"]).active is True


def test_changing_email_to_another_accounts_is_409(scim, world):
    created = create_okta_user(scim)
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "replace",
                "path": 'emails[type eq "work"].value',
                "value": world.viewer.user.email,
            }
        ],
    }

    response = scim.patch(f"Users/{created['id']}", body)

    assert response.status_code == 409
    assert User.objects.filter(email="test.user@okta.local").exists()


# --- Deprovisioning -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["okta_deactivate_user", "entra_disable_user", "entra_disable_user_string_boolean"]
)
def test_deactivation_ends_membership_teams_tokens_and_sessions(scim, world, name):
    created = create_okta_user(scim)
    user = User.objects.get(email="test.user@okta.local")
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=user)
    membership = Membership.objects.get(workspace=world.workspace, user=user)
    token_client = api_client_for(membership)
    page_client = client_for(user)
    other_session = session_of(world.member.user)

    response = scim.patch(f"Users/{created['id']}", fixture(name))

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert not Membership.objects.filter(workspace=world.workspace, user=user).exists()
    assert not TeamMember.objects.filter(user=user).exists()
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert token_client.get("/api/v1/me/").status_code == 401
    assert page_client.get(f"/w/{world.workspace.slug}/").status_code == 302  # logged out
    assert Session.objects.filter(pk=other_session).exists()  # nobody else's
    event = AuditEvent.objects.get(verb="scim.user_deprovisioned")
    assert event.actor == world.owner.user
    assert event.before == {"email": "test.user@okta.local", "role": "member"}
    # Okta can still see the user, inactive, and reactivate them.
    assert scim.get(f"Users/{created['id']}").json()["active"] is False


def test_deactivating_someone_with_other_workspaces_keeps_their_sessions_there(scim, world):
    created = create_okta_user(scim)
    user = User.objects.get(email="test.user@okta.local")
    elsewhere = WorkspaceFactory(name="Side project", slug="side")
    MembershipFactory(workspace=elsewhere, user=user)
    token_here = api_client_for(Membership.objects.get(workspace=world.workspace, user=user))
    token_there = api_client_for(Membership.objects.get(workspace=elsewhere, user=user))
    browser = client_for(user)

    scim.patch(f"Users/{created['id']}", fixture("okta_deactivate_user"))

    assert token_here.get(f"/api/v1/workspaces/{world.workspace.slug}/teams/").status_code == 401
    assert token_there.get("/api/v1/workspaces/side/teams/").status_code == 200
    assert browser.get("/w/side/").status_code == 200
    assert browser.get(f"/w/{world.workspace.slug}/").status_code == 404


def test_okta_reactivates_a_user_as_a_member(scim, world):
    created = create_okta_user(scim)
    scim.patch(f"Users/{created['id']}", fixture("okta_deactivate_user"))

    response = scim.patch(f"Users/{created['id']}", fixture("okta_reactivate_user"))

    assert response.json()["active"] is True
    user = User.objects.get(email="test.user@okta.local")
    assert Membership.objects.get(workspace=world.workspace, user=user).role == Role.MEMBER


def test_delete_deprovisions_and_forgets_the_user(scim, world):
    created = create_okta_user(scim)
    user = User.objects.get(email="test.user@okta.local")
    session = session_of(user)

    response = scim.delete(f"Users/{created['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Membership.objects.filter(user=user).exists()
    assert not Session.objects.filter(pk=session).exists()
    assert scim.get(f"Users/{created['id']}").status_code == 404
    assert AuditEvent.objects.filter(verb="scim.user_deleted").exists()
    assert User.objects.filter(pk=user.pk).exists()  # the account stays; its history too


def test_an_admins_token_cannot_deprovision_an_owner(admin_scim, world):
    body = fixture("okta_create_user")
    body["userName"] = body["emails"][0]["value"] = world.owner.user.email
    created = admin_scim.post("Users", body).json()

    response = admin_scim.patch(f"Users/{created['id']}", fixture("okta_deactivate_user"))

    assert response.status_code == 403
    assert Membership.objects.filter(pk=world.owner.pk).exists()
    assert ScimUser.objects.get(pk=created["id"]).active is True


def test_the_last_owner_cannot_be_deprovisioned(scim, world):
    body = fixture("okta_create_user")
    body["userName"] = body["emails"][0]["value"] = world.owner.user.email
    created = scim.post("Users", body).json()

    response = scim.delete(f"Users/{created['id']}")

    assert response.status_code == 403
    assert "last owner" in response.json()["detail"]
    assert Membership.objects.filter(pk=world.owner.pk).exists()


def test_a_user_created_inactive_gets_no_membership(scim, world):
    body = fixture("okta_create_user")
    body["active"] = False

    created = scim.post("Users", body).json()

    assert created["active"] is False
    assert not Membership.objects.filter(user__email="test.user@okta.local").exists()


def test_sessions_that_expired_are_left_to_the_cleanup(world):
    from alignment.sessions import user_sessions_end

    user = UserFactory(email="solo@example.com")
    live = session_of(user)
    Session.objects.filter(pk=live).update(expire_date=timezone.now() - timedelta(days=1))

    assert user_sessions_end(user) == 0


def test_an_existing_account_without_workspaces_cannot_be_taken_over_by_email(scim, world):
    # An account that existed before provisioning keeps its log-in e-mail whatever the
    # provider says: otherwise any workspace's admin could claim someone's account.
    loner = UserFactory(email="loner@example.com", full_name="Lone Person")
    body = fixture("okta_create_user")
    body["userName"] = body["emails"][0]["value"] = "loner@example.com"
    created = scim.post("Users", body).json()
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "attacker@evil.test"}
        ],
    }

    scim.patch(f"Users/{created['id']}", patch)

    loner.refresh_from_db()
    assert (loner.email, loner.full_name) == ("loner@example.com", "Lone Person")


def test_a_huge_start_index_is_an_empty_page(scim):
    create_okta_user(scim)

    body = scim.get("Users", startIndex=10**30).json()

    assert (body["totalResults"], body["Resources"]) == (1, [])
