"""The inbox and preferences pages: own notifications only, htmx mark read with CSRF, the
header badge, flat query counts, and the preferences grid."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.notifications.models import Notification, NotificationPreference
from integrations.notifications.services import unread_count
from tasks import services as tasks
from tests.factories.work import TaskFactory
from tests.integrations.conftest import integration_for
from tests.querycount import assert_flat_queries

HTMX = {"HTTP_HX_REQUEST": "true"}
LINE = re.compile(r'<li class="notification[^"]*" id="notification-\d+">')


def url(world, name: str, **kwargs) -> str:
    return reverse(f"notifications:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


def make(world, user, n: int = 1, *, read: bool = False, **extra) -> list[Notification]:
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(
            workspace=extra.get("workspace", world.workspace),
            recipient=user,
            kind="assigned",
            sentence=f"ENG-{i} “Task {i}” was assigned to you.",
            url=f"/w/{world.workspace.slug}/tasks/ENG-{i}/",
            object_type="task",
            object_id=i,
            created_at=now - timedelta(minutes=n - i),
            read_at=now if read else None,
        )
        for i in range(1, n + 1)
    )


# --- The inbox ------------------------------------------------------------------------------


def test_the_inbox_lists_my_notifications_newest_first_with_unread_marked(world, member_client):
    make(world, world.member.user, 2)
    [theirs] = make(world, world.admin.user, 1)  # someone else's
    theirs.sentence = "A secret about someone else."
    theirs.save()
    first = Notification.objects.filter(recipient=world.member.user).order_by("pk").first()
    first.read_at = timezone.now()
    first.save()

    response = member_client.get(url(world, "inbox"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("ENG-2 “Task 2”") < html.index("ENG-1 “Task 1”")
    assert html.count('class="notification unread"') == 1
    assert html.count('class="notification"') == 1
    assert f'href="/w/{world.workspace.slug}/tasks/ENG-2/"' in html
    assert "A secret about someone else." not in html


def test_the_unread_filter_hides_read_ones(world, member_client):
    make(world, world.member.user, 1, read=True)

    response = member_client.get(url(world, "inbox") + "?show=unread")

    assert "You're all caught up" in response.content.decode()


def test_an_empty_inbox_says_what_will_arrive(world, viewer_client):
    response = viewer_client.get(url(world, "inbox"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "No notifications yet" in html
    assert "assigns you a task or @mentions you" in html


def test_the_inbox_pages_at_25(world, member_client):
    make(world, world.member.user, 30)

    first = member_client.get(url(world, "inbox")).content.decode()
    second = member_client.get(url(world, "inbox") + "?page=2").content.decode()

    assert len(LINE.findall(first)) == 25
    assert len(LINE.findall(second)) == 5
    assert "Page 1 of 2" in first


def test_the_inbox_query_count_does_not_grow(world, member_client):
    make(world, world.member.user, 1)

    assert_flat_queries(
        member_client, url(world, "inbox"), grow=lambda: make(world, world.member.user, 24)
    )


def test_the_header_badge_costs_no_queries_once_cached(world, member_client):
    make(world, world.member.user, 1)
    home = reverse("workspace:home", kwargs={"slug": world.workspace.slug})

    assert_flat_queries(member_client, home, grow=lambda: make(world, world.member.user, 20))


# --- Mark read (htmx, CSRF) -----------------------------------------------------------------


def csrf_client(user) -> Client:
    """A client that enforces CSRF like a browser would."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="alignment.auth_backends.EmailBackend")
    return client


def test_htmx_mark_read_swaps_the_line_and_the_badge(world):
    [note] = make(world, world.member.user, 1)
    make(world, world.member.user, 2)
    client = csrf_client(world.member.user)
    page = client.get(url(world, "inbox"))
    token = page.cookies["csrftoken"].value
    assert 'hx-headers=\'{"X-CSRFToken"' in page.content.decode()
    assert 'aria-label="Notifications, 3 unread"' in page.content.decode()

    response = client.post(
        url(world, "read", notification_id=note.pk), HTTP_X_CSRFTOKEN=token, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<li class="notification" id="notification-{note.pk}">' in html
    assert "Mark read" not in html
    assert 'id="notification-badge"' in html
    assert 'hx-swap-oob="true"' in html
    assert 'data-unread="2"' in html
    note.refresh_from_db()
    assert note.read_at is not None
    assert unread_count(world.member.user.pk, world.workspace.pk) == 2


def test_htmx_mark_read_updates_every_count_on_the_page(world):
    [note] = make(world, world.member.user, 1)
    make(world, world.member.user, 2)
    client = csrf_client(world.member.user)
    page = client.get(url(world, "inbox")).content.decode()
    token = client.cookies["csrftoken"].value
    assert 'data-unread="3"' in page
    assert ">3 unread</span>" in page
    assert '<span id="notification-filter-count"> (3)</span>' in page

    html = client.post(
        url(world, "read", notification_id=note.pk), HTTP_X_CSRFTOKEN=token, **HTMX
    ).content.decode()

    # The bell, the list's "N unread" line and the Unread filter, each swapped out of band
    # into the element of the same id on the page.
    assert re.search(r'<a id="notification-badge"[^>]* hx-swap-oob="true"', html)
    assert 'data-unread="2"' in html
    assert re.search(
        r'<div class="notification-actions" id="notification-actions" '
        r'hx-swap-oob="true">\s*<span class="muted small">2 unread</span>',
        html,
    )
    assert "Mark all read" in html
    assert '<span id="notification-filter-count" hx-swap-oob="true"> (2)</span>' in html
    for element_id in ("notification-badge", "notification-actions", "notification-filter-count"):
        assert f'id="{element_id}"' in page  # the target the out-of-band swap replaces


def test_marking_the_last_one_read_says_all_read_and_drops_mark_all(world):
    [note] = make(world, world.member.user, 1)
    client = csrf_client(world.member.user)
    client.get(url(world, "inbox"))

    html = client.post(
        url(world, "read", notification_id=note.pk),
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        **HTMX,
    ).content.decode()

    assert "All read" in html
    assert "Mark all read" not in html
    assert '<span id="notification-filter-count" hx-swap-oob="true"></span>' in html


def test_mark_read_without_the_csrf_token_is_refused(world):
    [note] = make(world, world.member.user, 1)
    client = csrf_client(world.member.user)

    response = client.post(url(world, "read", notification_id=note.pk), **HTMX)

    assert response.status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_read_without_htmx_redirects_to_the_inbox(world, member_client):
    [note] = make(world, world.member.user, 1)

    response = member_client.post(url(world, "read", notification_id=note.pk))

    assert response.status_code == 303
    assert response["Location"] == url(world, "inbox")
    note.refresh_from_db()
    assert note.read_at is not None


def test_someone_elses_notification_is_404_and_stays_unread(world, member_client):
    [note] = make(world, world.admin.user, 1)

    response = member_client.post(url(world, "read", notification_id=note.pk), **HTMX)

    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read_swaps_the_list_and_clears_the_badge(world, member_client):
    make(world, world.member.user, 3)
    make(world, world.admin.user, 1)
    assert unread_count(world.member.user.pk, world.workspace.pk) == 3

    response = member_client.post(url(world, "read_all"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="notification-list"' in html
    assert "All read" in html
    assert 'class="notification unread"' not in html
    assert 'aria-label="Notifications"' in html  # the badge, without a count
    assert '<span id="notification-filter-count" hx-swap-oob="true"></span>' in html
    assert Notification.objects.filter(recipient=world.member.user, read_at=None).count() == 0
    assert Notification.objects.filter(recipient=world.admin.user, read_at=None).count() == 1
    assert unread_count(world.member.user.pk, world.workspace.pk) == 0


def test_mark_all_read_without_htmx_says_how_many(world, member_client):
    make(world, world.member.user, 2)

    response = member_client.post(url(world, "read_all"), follow=True)

    assert "Marked 2 notifications read." in response.content.decode()


def test_a_new_notification_shows_up_in_the_badge_after_commit(
    world, member_client, django_capture_on_commit_callbacks
):
    home = reverse("workspace:home", kwargs={"slug": world.workspace.slug})
    assert 'aria-label="Notifications"' in member_client.get(home).content.decode()  # cached: 0
    task = TaskFactory(team=world.team)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)

    assert 'aria-label="Notifications, 1 unread"' in member_client.get(home).content.decode()


# --- Preferences ----------------------------------------------------------------------------


def test_the_preferences_grid_shows_defaults_and_why_slack_is_off(world, member_client):
    response = member_client.get(url(world, "preferences"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="assigned.email" checked' in html
    assert 'name="status_changed.email">' in html  # off by default
    assert 'name="assigned.slack" disabled' in html
    assert "your workspace has no Slack connection with a bot token yet" in html


def test_saving_the_grid_stores_the_changes(world, member_client):
    response = member_client.post(
        url(world, "preferences"),
        {"assigned.in_app": "on", "mentioned.in_app": "on", "mentioned.email": "on"},
    )

    assert response.status_code == 303
    prefs = NotificationPreference.objects.get(user=world.member.user)
    assert prefs.choices["assigned"] == {"email": False}
    assert prefs.choices["kr_at_risk"] == {"in_app": False, "email": False}
    assert "slack" not in prefs.choices.get("assigned", {})  # disabled cells keep their value


def test_a_bad_slack_id_is_refused_with_a_sentence(world, member_client):
    response = member_client.post(url(world, "preferences"), {"slack_user_id": "@priya"})

    assert response.status_code == 422
    assert "A Slack member ID looks like U012AB3CD" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=world.member.user).exists()


def test_the_slack_column_needs_a_bot_token(world, member_client):
    integration_for(world, "slack", "signing-secret")  # connected, but no bot token

    member_client.post(url(world, "preferences"), {"slack_user_id": "U012AB3CD"})
    html = member_client.get(url(world, "preferences")).content.decode()

    assert 'name="assigned.slack" disabled' in html
    assert "your workspace has no Slack connection with a bot token yet" in html


def test_the_slack_column_turns_on_with_a_bot_and_an_id(world, member_client):
    integration_for(world, "slack", "signing-secret", bot_token="xoxb-bot")
    before = member_client.get(url(world, "preferences")).content.decode()
    assert 'name="assigned.slack" disabled' in before
    assert "Slack is off until you add your Slack member ID below." in before

    member_client.post(
        url(world, "preferences"), {"assigned.in_app": "on", "slack_user_id": " u012ab3cd "}
    )
    enabled = member_client.get(url(world, "preferences")).content.decode()
    member_client.post(
        url(world, "preferences"),
        {"assigned.in_app": "on", "assigned.slack": "on", "slack_user_id": "U012AB3CD"},
    )
    saved = member_client.get(url(world, "preferences")).content.decode()

    assert NotificationPreference.objects.get(user=world.member.user).slack_user_id == "U012AB3CD"
    # Saved while Slack was off: the Slack defaults were kept, not switched off.
    assert 'name="mentioned.slack" checked' in enabled
    assert 'name="assigned.slack" checked' in saved
    assert 'name="mentioned.slack">' in saved  # unticked once it could be ticked: now off
