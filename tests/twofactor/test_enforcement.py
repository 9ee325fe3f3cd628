"""A workspace that requires two-factor sends its members without it to set it up."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.factories.twofactor import enrol
from twofactor import services

pytestmark = pytest.mark.django_db

SETTINGS = "twofactor_workspace:settings"


@pytest.fixture
def required(world):
    enrol(world.admin.user)
    services.two_factor_policy_set(actor=world.admin, required=True)
    return world


def test_a_member_without_it_is_sent_to_set_up_with_a_message(required, member_client):
    page = f"{required.workspace.get_absolute_url()}settings/members/"

    response = member_client.get(page, follow=True)

    assert response.redirect_chain[0] == (
        f"{reverse('twofactor:setup')}?next=%2Fw%2Facme-inc%2Fsettings%2Fmembers%2F",
        302,
    )
    assert "Acme Inc requires two-factor authentication." in response.content.decode()


def test_htmx_requests_are_redirected_by_htmx(required, member_client):
    response = member_client.get(required.workspace.get_absolute_url(), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("twofactor:setup"))


def test_a_member_with_it_sees_the_page(required):
    enrol(required.member.user)

    response = client_for(required.member.user).get(required.workspace.get_absolute_url())

    assert response.status_code == 200


def test_other_workspaces_are_not_affected(required):
    elsewhere = WorkspaceFactory(slug="elsewhere")
    MembershipFactory(workspace=elsewhere, user=required.member.user)

    response = client_for(required.member.user).get(elsewhere.get_absolute_url())

    assert response.status_code == 200


def test_an_outsider_gets_the_404_not_a_hint_of_the_rule(required, world_b):
    response = client_for(world_b.member.user).get(required.workspace.get_absolute_url())

    assert response.status_code == 404


def test_the_api_is_not_affected(required, member_api):
    response = member_api.get(f"/api/v1/workspaces/{required.workspace.slug}/teams/")

    assert response.status_code == 200


def test_personal_pages_stay_reachable(required, member_client):
    assert member_client.get(reverse("accounts:profile")).status_code == 200
    assert member_client.get(reverse("twofactor:setup")).status_code == 200


def test_the_settings_page_lists_who_has_not_set_it_up(required, admin_client):
    page = admin_client.get(reverse(SETTINGS, args=[required.workspace.slug])).content.decode()

    table = page.split('id="members-without-two-factor"')[1].split("</table>")[0]
    assert required.member.user.email in table
    assert required.viewer.user.email in table
    assert required.owner.user.email in table
    assert required.admin.user.email not in table
    assert "Two-factor is <strong>required</strong>" in page


def test_an_admin_turns_the_rule_off_and_on(world, admin_client):
    enrol(world.admin.user)
    url = reverse(SETTINGS, args=[world.workspace.slug])

    on = admin_client.post(url, {"required": "on"})
    off = admin_client.post(url, {})

    assert on.status_code == off.status_code == 303
    page = admin_client.get(url).content.decode()
    assert "Two-factor is <strong>optional</strong>" in page


def test_an_admin_without_two_factor_is_told_to_set_it_up_first(world, admin_client):
    url = reverse(SETTINGS, args=[world.workspace.slug])

    response = admin_client.post(url, {"required": "on"})

    assert response.status_code == 409
    assert "before requiring it of everyone" in response.content.decode()


def test_the_settings_tab_is_shown_to_admins_only(world, admin_client, member_client):
    members = reverse("workspace:members", args=[world.workspace.slug])
    url = reverse(SETTINGS, args=[world.workspace.slug])

    assert f'href="{url}"' in admin_client.get(members).content.decode()
    assert f'href="{url}"' not in member_client.get(members).content.decode()


def test_a_session_started_through_sso_satisfies_the_rule(required, member_client):
    session = member_client.session
    session["login_method"] = "sso"  # what sso/ sets after the identity provider's checks
    session.save()

    response = member_client.get(required.workspace.get_absolute_url())

    assert response.status_code == 200
