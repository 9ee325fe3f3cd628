"""Idempotency-Key on POST (alignment.api_idempotency)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from alignment import tasks
from alignment.api_idempotency import IdempotencyMixin
from alignment.models import IdempotencyRecord, Team
from okrs.models import Objective
from tests.api import probe_urls
from tests.api.conftest import probe_url
from tests.conftest import api_client_for, build_world
from tests.factories.okrs import ObjectiveFactory, PeriodFactory
from tests.services import require_postgres

pytestmark = pytest.mark.urls("tests.api.probe_urls")


def teams_url(world) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/teams/"


def post_team(client, world, idem="k-1", **body):
    data = {"name": "Platform", "key": "PLAT", **body}
    return client.post(
        teams_url(world), data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=idem
    )


def test_a_replay_returns_the_stored_response_without_creating_again(world, admin_api):
    first = post_team(admin_api, world)

    again = post_team(admin_api, world)

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Team.objects.filter(workspace=world.workspace, key="PLAT").count() == 1


def test_a_replay_does_not_run_the_view_again(world, member_api, objective, probe_calls):
    body = {"title": "Copy"}
    first = member_api.post(
        probe_url(world), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc"
    )

    again = member_api.post(
        probe_url(world), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc"
    )

    assert probe_calls == ["create"]
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Location"] == first["Location"]
    assert again["ETag"] == first["ETag"] == '"v1"'
    assert Objective.objects.filter(title="Copy").count() == 1


def test_the_same_key_with_a_different_body_is_refused_with_422(world, admin_api):
    post_team(admin_api, world)

    response = post_team(admin_api, world, name="Platform team")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert list(Team.objects.filter(workspace=world.workspace).values_list("name", flat=True)) == [
        world.team.name,
        "Platform",
    ]


def test_the_same_key_on_another_path_is_refused_with_422(
    world, member_api, objective, probe_calls
):
    member_api.post(
        probe_url(world),
        {"title": "Copy"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    response = member_api.post(
        probe_url(world, "conflict/"),
        {"title": "Copy"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert response.status_code == 422
    assert probe_calls == ["create"]


def test_a_request_while_the_first_is_in_progress_gets_409_and_does_not_run(
    world, member_api, objective, probe_calls
):
    first = member_api.post(
        probe_url(world),
        {"title": "Copy"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    # As if the first request were still running: its record has no response yet.
    IdempotencyRecord.objects.filter(key="k").update(status_code=None, response_body=None)

    second = member_api.post(
        probe_url(world),
        {"title": "Copy"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "idempotency_in_progress"
    assert probe_calls == ["create"]


def test_two_clients_using_the_same_key_do_not_see_each_others_responses(world, admin_api):
    other_admin = api_client_for(world.owner)
    post_team(admin_api, world, idem="shared")

    response = post_team(other_admin, world, idem="shared", name="Data", key="DATA")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert response.json()["name"] == "Data"


def test_a_validation_refusal_is_stored_and_replayed(world, member_api, probe_calls):
    first = member_api.post(
        probe_url(world), {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="bad"
    )

    again = member_api.post(
        probe_url(world), {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="bad"
    )

    assert first.status_code == 400
    assert (again.status_code, again.json()) == (400, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert probe_calls == ["create"]


def test_a_conflict_is_not_stored_so_a_retry_runs_again(world, member_api, probe_calls):
    url = probe_url(world, "conflict/")
    first = member_api.post(url, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="c")

    again = member_api.post(url, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="c")

    assert (first.status_code, again.status_code) == (409, 409)
    assert "Idempotent-Replayed" not in again
    assert probe_calls == ["conflict", "conflict"]
    assert not IdempotencyRecord.objects.exists()


def test_a_server_error_is_not_stored_and_frees_the_key(world, member_api, probe_calls):
    url = probe_url(world, "crash/")

    with pytest.raises(RuntimeError):
        member_api.post(url, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="boom")

    assert probe_calls == ["crash"]
    assert not IdempotencyRecord.objects.exists()


def test_a_post_without_the_header_stores_nothing(world, admin_api):
    admin_api.post(teams_url(world), {"name": "Platform", "key": "PLAT"}, "application/json")

    assert not IdempotencyRecord.objects.exists()


def test_an_overlong_key_is_refused_with_400(world, admin_api):
    response = post_team(admin_api, world, idem="k" * 256)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert not Team.objects.filter(key="PLAT").exists()


def test_a_refused_permission_never_claims_the_key(world, viewer_api):
    response = post_team(viewer_api, world)

    assert response.status_code == 403
    assert not IdempotencyRecord.objects.exists()


def test_a_key_older_than_24_hours_runs_the_request_again(world, admin_api):
    post_team(admin_api, world)
    Team.objects.filter(key="PLAT").delete()
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = post_team(admin_api, world)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Team.objects.filter(key="PLAT").count() == 1


def test_an_abandoned_in_progress_key_is_taken_over(world, admin_api):
    post_team(admin_api, world)
    Team.objects.filter(key="PLAT").delete()
    IdempotencyRecord.objects.update(
        status_code=None, created_at=timezone.now() - timedelta(minutes=6)
    )

    response = post_team(admin_api, world)

    assert response.status_code == 201
    assert Team.objects.filter(key="PLAT").count() == 1


def test_the_prune_task_deletes_records_older_than_24_hours(world, admin_api):
    post_team(admin_api, world, idem="old")
    post_team(admin_api, world, idem="new", key="NEW", name="New")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, minutes=1)
    )

    deleted = tasks.idempotency_records_prune.delay().get()

    assert deleted == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_prune_task_is_scheduled(settings):
    entries = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "alignment.idempotency_records_prune" in entries


def _api_post_views():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    for route, callback in walk(get_resolver("alignment.urls").url_patterns):
        view_class = getattr(callback, "cls", None)
        actions = getattr(callback, "actions", None) or {}
        allows_post = "post" in actions or (
            not actions and view_class is not None and hasattr(view_class, "post")
        )
        if route.startswith("api/v1/") and allows_post:
            yield route, view_class


def test_every_post_route_under_api_v1_honours_idempotency_keys():
    missing = [
        route
        for route, view_class in _api_post_views()
        if not (isinstance(view_class, type) and issubclass(view_class, IdempotencyMixin))
    ]

    assert missing == []


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_runs_waits_and_gets_its_answer(probe_calls):
    # The claim, the write and the stored answer commit together, so the retry's claim waits
    # on the unique index until the first request commits, then replays its answer. (SQLite's
    # shared in-memory test database locks whole tables instead of waiting: PostgreSQL only.)
    require_postgres()
    world = build_world("race")
    ObjectiveFactory(period=PeriodFactory(workspace=world.workspace), team=world.team)
    client = api_client_for(world.member)
    entered, release = threading.Event(), threading.Event()
    probe_urls.GATE.update(entered=entered, release=release)
    answers: dict[str, Any] = {}

    def post(name: str) -> None:
        try:
            answers[name] = client.post(
                probe_url(world), {"title": "Once"}, "application/json", HTTP_IDEMPOTENCY_KEY="r"
            )
        finally:
            connection.close()

    first = threading.Thread(target=post, args=("first",))
    second = threading.Thread(target=post, args=("second",))
    first.start()
    try:
        assert entered.wait(timeout=10)
        second.start()
        assert _wait_for_a_lock_wait(seconds=10), "the retry never waited for the first request"
    finally:
        release.set()
        first.join(timeout=10)
        second.join(timeout=10)
        probe_urls.GATE.clear()

    assert answers["first"].status_code == 201
    assert answers["second"].status_code == 201
    assert answers["second"]["Idempotent-Replayed"] == "true"
    assert answers["second"].json() == answers["first"].json()
    assert probe_calls == ["create"]
    assert Objective.objects.filter(title="Once").count() == 1


def _wait_for_a_lock_wait(*, seconds: float) -> bool:
    """True once another session of this database waits on a lock (the retry's claim)."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_write_whose_answer_fails_leaves_nothing_behind_and_the_retry_runs_once(probe_calls):
    # The view commits nothing when it fails after its write (here: the answer cannot be
    # built): the write rolls back with the claim, and the retry performs it exactly once.
    world = build_world("boom")
    ObjectiveFactory(period=PeriodFactory(workspace=world.workspace), team=world.team)
    client = api_client_for(world.member)
    probe_urls.FAIL_AFTER_WRITE.add("r")
    try:
        with pytest.raises(RuntimeError):
            client.post(
                probe_url(world), {"title": "Once"}, "application/json", HTTP_IDEMPOTENCY_KEY="r"
            )
    finally:
        probe_urls.FAIL_AFTER_WRITE.clear()
    assert Objective.objects.filter(title="Once").count() == 0
    assert not IdempotencyRecord.objects.exists()

    retry = client.post(
        probe_url(world), {"title": "Once"}, "application/json", HTTP_IDEMPOTENCY_KEY="r"
    )

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert Objective.objects.filter(title="Once").count() == 1
    assert probe_calls == ["create", "create"]
