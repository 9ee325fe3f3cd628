"""The members settings page: list, change roles (htmx and plain form), remove, leave."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment.models import Membership, Role
from tests.factories import MembershipFactory
from tests.querycount import assert_flat_queries

pytestmark = pytest.mark.django_db


def url(world, name="members", **kwargs):
    return reverse(f"workspace:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


def test_settings_link_leads_to_members(viewer_client, world):
    response = viewer_client.get(url(world, "settings"))
    assert response.status_code == 302
    assert response["Location"] == url(world)


def test_viewer_sees_members_with_roles_but_no_role_controls(viewer_client, world):
    response = viewer_client.get(url(world))

    body = response.content.decode()
    assert response.status_code == 200
    for membership in (world.owner, world.admin, world.member, world.viewer):
        assert membership.user.email in body
    assert 'name="role"' not in body
    assert "Remove…" not in body
    assert "Leave…" in body


def test_owner_sees_a_role_select_for_each_member(owner_client, world):
    body = owner_client.get(url(world)).content.decode()
    assert body.count('<select name="role"') == 4
    assert url(world, "member_role", membership_id=world.member.pk) in body


def test_members_are_paginated_by_50(owner_client, world):
    MembershipFactory.create_batch(50, workspace=world.workspace)

    first = owner_client.get(url(world)).content.decode()
    second = owner_client.get(url(world) + "?page=2").content.decode()

    assert "Page 1 of 2 · 54 in all" in first
    assert second.count('<tr id="member-') == 4


def test_members_page_queries_do_not_grow(owner_client, world):
    assert_flat_queries(
        owner_client,
        url(world),
        grow=lambda: MembershipFactory.create_batch(20, workspace=world.workspace),
    )


def test_htmx_role_change_swaps_the_row(owner_client, world):
    response = owner_client.post(
        url(world, "member_role", membership_id=world.member.pk),
        {"role": "admin"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<tr id="member-{world.member.pk}">')
    assert '<option value="admin" selected>' in body
    world.member.refresh_from_db()
    assert world.member.role == Role.ADMIN


def test_plain_form_role_change_redirects_with_a_message(owner_client, world):
    response = owner_client.post(
        url(world, "member_role", membership_id=world.member.pk), {"role": "viewer"}, follow=True
    )

    assert response.redirect_chain == [(url(world), 303)]
    assert f"{world.member.user.display_name} is now viewer." in response.content.decode()


def test_admin_cannot_change_roles(admin_client, world):
    response = admin_client.post(
        url(world, "member_role", membership_id=world.member.pk), {"role": "owner"}
    )

    assert response.status_code == 403
    assert "This needs the owner role" in response.content.decode()
    world.member.refresh_from_db()
    assert world.member.role == Role.MEMBER


def test_demoting_the_last_owner_says_why(owner_client, world):
    response = owner_client.post(
        url(world, "member_role", membership_id=world.owner.pk),
        {"role": "admin"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 409
    assert response["HX-Retarget"] == "#flash"
    assert "at least one owner" in response.content.decode()
    world.owner.refresh_from_db()
    assert world.owner.role == Role.OWNER


def test_unknown_role_is_refused(owner_client, world):
    response = owner_client.post(
        url(world, "member_role", membership_id=world.member.pk), {"role": "king"}
    )
    assert response.status_code == 422
    world.member.refresh_from_db()
    assert world.member.role == Role.MEMBER


def test_role_change_of_another_workspaces_member_is_404(owner_client, world, world_b):
    response = owner_client.post(
        url(world, "member_role", membership_id=world_b.member.pk), {"role": "viewer"}
    )
    assert response.status_code == 404
    world_b.member.refresh_from_db()
    assert world_b.member.role == Role.MEMBER


def test_owner_changing_their_own_role_reloads_the_page(owner_client, world):
    MembershipFactory(workspace=world.workspace, role=Role.OWNER)
    response = owner_client.post(
        url(world, "member_role", membership_id=world.owner.pk),
        {"role": "admin"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == url(world)


def test_remove_asks_for_confirmation_first(owner_client, world):
    response = owner_client.get(url(world, "member_remove", membership_id=world.member.pk))

    assert response.status_code == 200
    assert f"Remove {world.member.user.display_name}?" in response.content.decode()
    assert Membership.objects.filter(pk=world.member.pk).exists()


def test_owner_removes_a_member(owner_client, world):
    response = owner_client.post(url(world, "member_remove", membership_id=world.member.pk))

    assert response.status_code == 303
    assert response["Location"] == url(world)
    assert not Membership.objects.filter(pk=world.member.pk).exists()


def test_admin_cannot_remove_a_member(admin_client, world):
    response = admin_client.post(url(world, "member_remove", membership_id=world.member.pk))
    assert response.status_code == 403
    assert Membership.objects.filter(pk=world.member.pk).exists()


def test_the_last_owner_cannot_leave_and_is_told_why(owner_client, world):
    response = owner_client.post(url(world, "member_leave"))

    assert response.status_code == 409
    assert "A workspace needs at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=world.owner.pk).exists()


def test_member_leaves_the_workspace(member_client, world):
    confirm = member_client.get(url(world, "member_leave"))
    assert f"Leave {world.workspace.name}?" in confirm.content.decode()

    response = member_client.post(url(world, "member_leave"))

    assert response.status_code == 303
    assert response["Location"] == reverse("home")
    assert not Membership.objects.filter(pk=world.member.pk).exists()
    assert member_client.get(url(world)).status_code == 404


def test_another_workspaces_members_page_is_404(owner_client, world_b):
    assert owner_client.get(url(world_b)).status_code == 404


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(url(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
