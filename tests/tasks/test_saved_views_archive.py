"""Saved views: archive, restore and delete (who may, stale versions, JSON errors), and the
views page's archived section."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment.errors import FieldErrors, RoleRequired, StaleVersion
from alignment.models import Role
from tasks.errors import SavedViewAlreadyArchived, SavedViewNotArchived
from tasks.saved_views import selectors, services
from tasks.saved_views.models import SavedView, ViewScope
from tests.conftest import World

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(world: World, name: str, view: SavedView | None = None) -> str:
    kwargs: dict[str, object] = {"slug": world.workspace.slug}
    if view is not None:
        kwargs["saved_view_id"] = view.pk
    return reverse(f"tasks:{name}", kwargs=kwargs)


def api(world: World, *parts: object) -> str:
    base = f"/api/v1/workspaces/{world.workspace.slug}/saved-views/"
    return base + "".join(f"{p}/" for p in parts)


def personal(world: World) -> SavedView:
    return services.saved_view_create(actor=world.member, name="Mine", query="assignee:me")


def shared(world: World) -> SavedView:
    return services.saved_view_create(
        actor=world.member, name="Team bugs", query="priority:high", scope=ViewScope.WORKSPACE
    )


# ---- services ---------------------------------------------------------------------------


def test_archive_then_restore_keeps_the_view_and_bumps_its_version(world: World):
    view = personal(world)
    archived = services.saved_view_archive(actor=world.member, view=view, expected_version=1)
    assert (archived.is_archived, archived.version) == (True, 2)
    assert selectors.views_for(world.member) == []
    assert selectors.views_for(world.member, archived=True) == [view]
    restored = services.saved_view_restore(actor=world.member, view=archived, expected_version=2)
    assert (restored.is_archived, restored.version, restored.query) == (False, 3, "assignee:me")
    assert selectors.views_for(world.member) == [view]


def test_archiving_twice_or_restoring_an_active_view_is_a_conflict(world: World):
    view = personal(world)
    with pytest.raises(SavedViewNotArchived):
        services.saved_view_restore(actor=world.member, view=view)
    services.saved_view_archive(actor=world.member, view=view)
    with pytest.raises(SavedViewAlreadyArchived):
        services.saved_view_archive(actor=world.member, view=view)
    assert SavedView.objects.get(pk=view.pk).version == 2


def test_a_stale_version_changes_nothing(world: World):
    view = personal(world)
    services.saved_view_update(actor=world.member, view=view, name="Renamed")
    for change in (services.saved_view_archive, services.saved_view_delete):
        with pytest.raises(StaleVersion):
            change(actor=world.member, view=view, expected_version=1)
    row = SavedView.objects.get(pk=view.pk)
    assert (row.archived_at, row.version, row.name) == (None, 2, "Renamed")


def test_a_personal_view_is_only_its_owners_to_archive_or_delete(world: World):
    view = personal(world)
    for someone in (world.admin, world.owner, world.viewer):
        with pytest.raises(RoleRequired):
            services.saved_view_archive(actor=someone, view=view)
        with pytest.raises(RoleRequired):
            services.saved_view_delete(actor=someone, view=view)
    assert SavedView.objects.get(pk=view.pk).archived_at is None


def test_a_shared_view_is_changed_by_its_creator_or_an_admin_never_a_viewer(world: World):
    view = shared(world)
    with pytest.raises(RoleRequired):
        services.saved_view_archive(actor=world.viewer, view=view)
    services.saved_view_archive(actor=world.admin, view=view)
    services.saved_view_restore(actor=world.member, view=view)
    services.saved_view_archive(actor=world.member, view=view)
    services.saved_view_restore(actor=world.owner, view=view)
    assert SavedView.objects.get(pk=view.pk).version == 5


def test_a_creator_demoted_to_viewer_only_reads_their_shared_view(world: World):
    view = shared(world)
    world.member.role = Role.VIEWER
    world.member.save()
    assert services.may_change(world.member, view) is False
    with pytest.raises(RoleRequired):
        services.saved_view_delete(actor=world.member, view=view)
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_a_new_view_named_like_an_archived_one_says_so(world: World):
    view = personal(world)
    services.saved_view_archive(actor=world.member, view=view)
    with pytest.raises(FieldErrors) as caught:
        services.saved_view_create(actor=world.member, name="mine", query="assignee:me")
    assert "archived" in caught.value.fields["name"][0]


# ---- pages ------------------------------------------------------------------------------


def test_archive_restore_and_delete_from_the_views_page(member_client, world: World):
    view = personal(world)
    listing = member_client.get(page(world, "saved_views")).content.decode()
    assert 'aria-label="Archive Mine"' in listing
    assert "data-confirm=" in listing
    assert 'id="archived-views"' not in listing

    response = member_client.post(page(world, "saved_view_archive", view), {"version": 1})
    assert response.status_code == 303
    listing = member_client.get(page(world, "saved_views")).content.decode()
    assert 'id="archived-view-' in listing
    assert "No active views" in listing  # the empty state points at the next step
    assert 'aria-label="Restore Mine"' in listing
    palette = member_client.get(page(world, "saved_views") + "?part=palette", **HTMX)
    assert "Mine" not in palette.content.decode()
    detail = member_client.get(page(world, "saved_view", view)).content.decode()
    assert "This view is archived" in detail

    assert (
        member_client.post(page(world, "saved_view_restore", view), {"version": 2}).status_code
        == 303
    )
    assert SavedView.objects.get(pk=view.pk).archived_at is None
    assert (
        member_client.post(page(world, "saved_view_delete", view), {"version": 3}).status_code
        == 303
    )
    assert not SavedView.objects.exists()


def test_a_stale_form_is_refused_and_changes_nothing(member_client, world: World):
    view = personal(world)
    services.saved_view_update(actor=world.member, view=view, name="Renamed")
    response = member_client.post(page(world, "saved_view_archive", view), {"version": 1})
    assert response.status_code == 409
    assert SavedView.objects.get(pk=view.pk).archived_at is None


def test_someone_who_only_reads_a_shared_view_gets_no_buttons_and_a_403(viewer_client, world):
    view = shared(world)
    listing = viewer_client.get(page(world, "saved_views")).content.decode()
    assert "Team bugs" in listing
    assert 'aria-label="Archive Team bugs"' not in listing
    assert viewer_client.post(page(world, "saved_view_delete", view)).status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_no_views_at_all_shows_the_first_step(member_client, world: World):
    listing = member_client.get(page(world, "saved_views")).content.decode()
    assert "No saved views yet" in listing
    assert 'href="#new-view-form"' in listing


# ---- API --------------------------------------------------------------------------------


def test_api_archive_list_restore_delete(member_api, world: World):
    view = personal(world)
    archived = member_api.post(api(world, view.pk, "archive"), {}, content_type="application/json")
    assert archived.status_code == 200, archived.content
    assert archived.json()["archived_at"] is not None
    assert archived["ETag"] == '"v2"'
    assert member_api.get(api(world)).json() == []
    assert [v["id"] for v in member_api.get(api(world) + "?archived=true").json()] == [view.pk]
    restored = member_api.post(
        api(world, view.pk, "restore"), {}, content_type="application/json", HTTP_IF_MATCH='"v2"'
    )
    assert (restored.status_code, restored.json()["archived_at"]) == (200, None)
    assert member_api.delete(api(world, view.pk), HTTP_IF_MATCH='"v3"').status_code == 204
    assert not SavedView.objects.exists()


def test_api_version_conflicts_are_412_with_if_match_and_409_with_a_body_version(
    member_api, world: World
):
    view = personal(world)
    stale_header = member_api.post(
        api(world, view.pk, "archive"), {}, content_type="application/json", HTTP_IF_MATCH='"v9"'
    )
    assert (stale_header.status_code, stale_header.json()["error"]["code"]) == (
        412,
        "precondition_failed",
    )
    stale_body = member_api.post(
        api(world, view.pk, "archive"), {"version": 9}, content_type="application/json"
    )
    assert (stale_body.status_code, stale_body.json()["error"]["code"]) == (409, "stale_version")
    deleted = member_api.delete(api(world, view.pk), HTTP_IF_MATCH='"v9"')
    assert deleted.status_code == 412
    assert SavedView.objects.get(pk=view.pk).version == 1


def test_api_refusals_are_json_with_a_code(member_api, viewer_api, world: World):
    view = shared(world)
    not_archived = member_api.post(
        api(world, view.pk, "restore"), {}, content_type="application/json"
    )
    assert (not_archived.status_code, not_archived.json()["error"]["code"]) == (409, "not_archived")
    forbidden = viewer_api.post(api(world, view.pk, "archive"), {}, content_type="application/json")
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "role_required")
    bad_flag = member_api.get(api(world) + "?archived=maybe")
    assert bad_flag.status_code == 400
    assert "archived" in bad_flag.json()["error"]["fields"]
    missing = member_api.post(api(world, 999999, "archive"), {}, content_type="application/json")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    assert SavedView.objects.get(pk=view.pk).archived_at is None
