"""The audit log page (admin): filters, pagination, readable before/after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.models import AuditEvent
from alignment.views.audit import MISSING, Change, changes_of
from tests.querycount import assert_flat_queries

pytestmark = pytest.mark.django_db


def url(world, query=""):
    return reverse("workspace:audit", kwargs={"slug": world.workspace.slug}) + query


def event(world, verb="team.updated", actor=None, at=None, before=None, after=None, **extra):
    return AuditEvent.objects.create(
        workspace=extra.pop("workspace", world.workspace),
        actor=actor or world.admin.user,
        verb=verb,
        object_type="team",
        object_id=str(world.team.pk),
        object_repr=str(world.team),
        before=before,
        after=after,
        created_at=at or timezone.now(),
    )


def rows(response) -> int:
    return response.content.decode().count('<tr id="audit-')


def test_admin_sees_events_with_their_changes(admin_client, world):
    event(world, before={"name": "Eng", "key": "ENG"}, after={"name": "Core", "key": "ENG"})

    body = admin_client.get(url(world)).content.decode()

    assert "<code>team.updated</code>" in body
    assert "<del>Eng</del> → <ins>Core</ins>" in body
    assert "<code>key</code>" not in body  # unchanged fields are not noise


def test_member_is_refused_with_a_clear_403(member_client, world):
    response = member_client.get(url(world))
    assert response.status_code == 403
    assert "This needs the admin role or higher in this workspace." in response.content.decode()


def test_other_workspaces_events_never_show(admin_client, world, world_b):
    event(world_b, verb="team.deleted")
    assert rows(admin_client.get(url(world))) == 0


def test_filter_by_verb(admin_client, world):
    event(world, verb="team.created")
    event(world, verb="team.deleted")

    response = admin_client.get(url(world, "?verb=team.deleted"))

    assert rows(response) == 1
    assert "<code>team.deleted</code>" in response.content.decode()


def test_filter_by_actor(admin_client, world):
    event(world, actor=world.owner.user)
    event(world, actor=world.admin.user)
    event(world, actor=world.admin.user)

    assert rows(admin_client.get(url(world, f"?actor={world.owner.user.pk}"))) == 1


def test_filter_by_date_range_includes_the_whole_last_day(admin_client, world):
    def at(day: int, hour: int) -> datetime:
        return datetime(2025, 3, day, hour, tzinfo=UTC)

    event(world, at=at(1, 12))
    event(world, at=at(2, 9))
    event(world, at=at(3, 23))
    event(world, at=at(4, 0))

    response = admin_client.get(url(world, "?since=2025-03-02&until=2025-03-03"))

    assert rows(response) == 2


def test_a_bad_filter_is_a_400_with_the_reason(admin_client, world):
    event(world)
    response = admin_client.get(url(world, "?since=yesterday"))

    assert response.status_code == 400
    assert "Since: Enter a valid date/time." in response.content.decode()
    assert rows(response) == 0


def test_no_match_tells_how_to_widen(admin_client, world):
    response = admin_client.get(url(world, "?verb=nothing.like.this"))
    assert "No events match these filters." in response.content.decode()


def test_empty_log_says_what_will_appear(admin_client, world):
    body = admin_client.get(url(world)).content.decode()
    assert "Nothing has been recorded yet." in body


def test_pages_hold_50_newest_first_and_keep_filters(admin_client, world):
    start = timezone.now() - timedelta(hours=2)
    for n in range(55):
        event(world, verb="team.updated", at=start + timedelta(minutes=n))

    first = admin_client.get(url(world, "?verb=team.updated"))
    second = admin_client.get(url(world, "?verb=team.updated&page=2"))

    assert rows(first) == 50
    assert rows(second) == 5
    assert 'href="?verb=team.updated&amp;page=2"' in first.content.decode()
    ids = list(AuditEvent.objects.order_by("-created_at").values_list("pk", flat=True))
    body = first.content.decode()
    assert body.index(f'id="audit-{ids[0]}"') < body.index(f'id="audit-{ids[49]}"')
    assert f'id="audit-{ids[50]}"' not in body


def test_audit_page_queries_do_not_grow(admin_client, world):
    event(world, before={"name": "a"}, after={"name": "b"})

    def grow():
        for n in range(30):
            event(world, actor=world.member.user, after={"n": n})

    assert_flat_queries(admin_client, url(world), grow=grow)


def test_filtered_audit_page_queries_do_not_grow(admin_client, world):
    event(world)
    assert_flat_queries(
        admin_client,
        url(world, f"?verb=team.updated&actor={world.admin.user.pk}&since=2020-01-01"),
        grow=lambda: [event(world) for _ in range(20)],
    )


def test_changes_of_reads_created_removed_and_changed_fields(world):
    created = event(world, after={"name": "A"})
    removed = event(world, before={"name": "A"})
    changed = event(world, before={"role": "member", "x": 1}, after={"role": "admin", "x": 1})

    assert changes_of(created) == [Change("name", MISSING, "A")]
    assert [c.kind for c in changes_of(created)] == ["set"]
    assert [c.kind for c in changes_of(removed)] == ["was"]
    assert changes_of(changed) == [Change("role", "member", "admin")]
