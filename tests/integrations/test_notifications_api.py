"""The notifications API: my notifications only (another member's id is 404), unread filter,
mark read, read-all, and my preferences (GET/PUT) with clear 4xx for bad input."""

from __future__ import annotations

import json

import pytest

from alignment.models import AuditEvent
from integrations.notifications.models import Notification, NotificationPreference
from tests.conftest import api_client_for
from tests.integrations.test_notifications_views import make


def api(world, path: str = "") -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/notifications/{path}"


def put(client, url: str, body) -> object:
    return client.put(url, json.dumps(body), content_type="application/json")


def test_the_list_holds_my_notifications_only_newest_first(world, member_api, world_b):
    mine = make(world, world.member.user, 3)
    make(world, world.admin.user, 2)
    make(world_b, world_b.member.user, 1, workspace=world_b.workspace)

    body = member_api.get(api(world)).json()

    assert [row["id"] for row in body["results"]] == [n.pk for n in reversed(mine)]
    first = body["results"][0]
    assert first["kind"] == "assigned"
    assert first["sentence"] == "ENG-3 “Task 3” was assigned to you."
    assert (first["object_type"], first["object_id"], first["is_unread"]) == ("task", 3, True)


def test_unread_1_keeps_only_unread(world, member_api):
    make(world, world.member.user, 2, read=True)
    [unread] = make(world, world.member.user, 1)

    body = member_api.get(api(world, "?unread=1")).json()

    assert [row["id"] for row in body["results"]] == [unread.pk]


def test_a_bad_unread_value_is_a_400(world, member_api):
    response = member_api.get(api(world, "?unread=maybe"))

    assert response.status_code == 400
    assert "unread" in response.json()["error"]["fields"]


def test_the_list_is_paged_with_a_cursor(world, member_api):
    make(world, world.member.user, 5)

    body = member_api.get(api(world, "?page_size=2")).json()
    rest = member_api.get(body["next"]).json()

    assert len(body["results"]) == 2
    assert len(rest["results"]) == 2


def test_mark_read_returns_the_notification(world, member_api):
    [note] = make(world, world.member.user, 1)

    response = member_api.post(api(world, f"{note.pk}/read/"))

    assert response.status_code == 200
    assert response.json()["is_unread"] is False
    note.refresh_from_db()
    assert note.read_at is not None


def test_another_members_notification_is_404_and_unchanged(world, member_api):
    [theirs] = make(world, world.admin.user, 1)

    response = member_api.post(api(world, f"{theirs.pk}/read/"))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_viewer_marks_all_read_and_gets_the_count(world, viewer_api):
    make(world, world.viewer.user, 3)
    make(world, world.member.user, 1)

    response = viewer_api.post(api(world, "read-all/"))

    assert response.status_code == 200
    assert response.json() == {"marked": 3}
    assert Notification.objects.filter(read_at=None).count() == 1


def test_a_read_scope_token_cannot_mark_read(world):
    [note] = make(world, world.member.user, 1)
    client = api_client_for(world.member, scope="read")

    response = client.post(api(world, f"{note.pk}/read/"))

    assert response.status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_preferences_show_the_defaults_and_why_slack_cannot_deliver(world, admin_api):
    body = admin_api.get(api(world, "preferences/")).json()

    rows = {row["kind"]: {c["channel"]: c for c in row["channels"]} for row in body["kinds"]}
    assert set(rows) == {
        "assigned",
        "mentioned",
        "status_changed",
        "kr_at_risk",
        "checkin_due",
        "weekly_digest",
    }
    assert rows["assigned"]["email"] == {"channel": "email", "on": True, "reason": ""}
    assert rows["weekly_digest"]["email"]["on"] is True  # an admin: the digest by default
    assert rows["assigned"]["slack"]["reason"].startswith("Slack is not connected")
    assert body["slack_user_id"] == ""


def test_put_changes_the_named_cells_and_keeps_the_rest(world, member_api):
    response = put(
        member_api,
        api(world, "preferences/"),
        {"choices": {"assigned": {"email": False}}, "slack_user_id": "W0123ABCD"},
    )
    put(member_api, api(world, "preferences/"), {"choices": {"mentioned": {"in_app": False}}})

    assert response.status_code == 200
    row = NotificationPreference.objects.get(user=world.member.user)
    assert row.choices == {"assigned": {"email": False}, "mentioned": {"in_app": False}}
    assert row.slack_user_id == "W0123ABCD"
    assert AuditEvent.objects.filter(verb="notifications.preferences_updated").count() == 2


def test_setting_a_cell_back_to_its_default_stores_nothing(world, member_api):
    put(member_api, api(world, "preferences/"), {"choices": {"assigned": {"email": False}}})
    put(member_api, api(world, "preferences/"), {"choices": {"assigned": {"email": True}}})

    assert NotificationPreference.objects.get(user=world.member.user).choices == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"choices": {"birthday": {"email": True}}}, "choices.birthday"),
        ({"choices": {"assigned": {"pager": True}}}, "choices.assigned.pager"),
        ({"choices": {"assigned": {"email": "yes"}}}, "choices.assigned.email"),
        ({"choices": {"assigned": True}}, "choices.assigned"),
        ({"choices": ["assigned"]}, "choices"),
        ({"slack_user_id": "priya"}, "slack_user_id"),
    ],
)
def test_bad_preferences_are_refused_with_the_field_named(world, member_api, body, field):
    response = put(member_api, api(world, "preferences/"), body)

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert not NotificationPreference.objects.exists()


def test_preferences_are_per_workspace(world, world_b, member_api):
    put(member_api, api(world, "preferences/"), {"choices": {"assigned": {"email": False}}})

    assert NotificationPreference.objects.get().workspace == world.workspace
    assert (
        member_api.get(f"/api/v1/workspaces/{world_b.workspace.slug}/notifications/").status_code
        == 404
    )
