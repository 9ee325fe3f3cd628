"""Robust inbound: 25 MB bodies on hook endpoints only (JSON 413 beyond, counted), in-process
retries in the embedded (eager) setup, and the webhook URL shown to copy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from integrations import inbound
from integrations.models import DeliveryStatus, ExternalLink, InboundDelivery, LinkKind
from tests.integrations.ci_helpers import payload, send_github
from tests.integrations.conftest import body_of, post_github

MB = 1024 * 1024


def big_push(size: int) -> bytes:
    """A push naming ENG-1 whose commit message pads the body to about `size` bytes."""
    data = payload("github/push__force_1_commit-fork.json")
    data["forced"] = False
    data["commits"][0]["message"] = "ENG-1 vendor the fixtures\n\n" + "x" * size
    return body_of(data)


def test_a_signed_5_mb_push_is_accepted_and_processed(
    settings, github, django_capture_on_commit_callbacks
):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 5 * MB  # the global form limit stays low
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(github, "push", big_push(5 * MB), delivery="big")
    assert response.status_code == 202
    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED
    assert ExternalLink.objects.get(kind=LinkKind.COMMIT).task_key == "ENG-1"


def test_a_body_over_25_mb_is_a_json_413_counted_in_health(github, admin_client, world):
    body = big_push(25 * MB + 10)
    assert len(body) > inbound.DEFAULT_MAX_BODY_BYTES
    response = post_github(github, "push", body, delivery="huge")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "payload too large"
    assert "25 MB" in response.json()["error"]
    assert not InboundDelivery.objects.exists()
    github.refresh_from_db()
    assert github.oversize_count == 1
    assert github.last_oversize_at is not None
    page = admin_client.get(reverse("integrations:list", kwargs={"slug": world.workspace.slug}))
    assert "1 too large" in page.content.decode()


def test_the_limit_is_per_setting_and_exactly_at_it_is_accepted(
    settings, github, django_capture_on_commit_callbacks
):
    body = big_push(1000)
    settings.HOOK_MAX_BODY_BYTES = len(body)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_github(github, "push", body, delivery="at").status_code == 202
    settings.HOOK_MAX_BODY_BYTES = len(body) - 1
    assert post_github(github, "push", body, delivery="over").status_code == 413


def test_an_unknown_integration_is_404_before_any_size_check(github, settings):
    settings.HOOK_MAX_BODY_BYTES = 10
    github.active = False
    github.save()
    assert post_github(github, "push", big_push(100)).status_code == 404


# --- In-process retries (eager Celery) ----------------------------------------------------


def stuck_delivery(github, minutes: int = 5, delivery_id: str = "stuck") -> InboundDelivery:
    data = payload("github/push__force_1_commit-fork.json")
    data["forced"] = False
    data["commits"][0]["message"] = "ENG-1 stuck"
    return InboundDelivery.objects.create(
        workspace=github.workspace,
        integration=github,
        provider="github",
        delivery_id=delivery_id,
        event="push",
        body=body_of(data).decode(),
        received_at=timezone.now() - timedelta(minutes=minutes),
    )


def test_a_busy_database_is_retried_inline(
    settings, github, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    real, calls = inbound.process, []

    def flaky(pk):
        calls.append(pk)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return real(pk)

    monkeypatch.setattr(inbound, "process", flaky)
    monkeypatch.setattr(inbound.time, "sleep", lambda s: None)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(github, "push", big_push(10), delivery="d1")
    assert response.status_code == 202
    assert len(calls) == 3
    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED


def test_a_locked_handler_leaves_the_delivery_received_not_failed(
    settings, github, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(inbound.time, "sleep", lambda s: None)

    def locked(delivery, data):
        raise OperationalError("database is locked")

    monkeypatch.setitem(inbound.handler_for.__globals__["_HANDLERS"], ("github", "push"), locked)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_github(github, "push", big_push(10), delivery="d1").status_code == 202
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RECEIVED, 0)


def test_a_stuck_delivery_is_caught_up_by_the_next_one(
    settings, github, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    stuck = stuck_delivery(github)
    fresh = stuck_delivery(github, minutes=0, delivery_id="fresh")
    with django_capture_on_commit_callbacks(execute=True):
        post_github(
            github, "ping", body_of(payload("github/check_run__completed.json")), delivery="p"
        )
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == DeliveryStatus.PROCESSED
    assert fresh.status == DeliveryStatus.RECEIVED  # younger than 30 s: maybe still in flight


def test_a_stuck_delivery_is_caught_up_when_its_page_loads(settings, github, admin_client, world):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    stuck = stuck_delivery(github)
    url = reverse(
        "integrations:deliveries",
        kwargs={"slug": world.workspace.slug, "integration_id": github.pk},
    )
    assert admin_client.get(url).status_code == 200
    stuck.refresh_from_db()
    assert stuck.status == DeliveryStatus.PROCESSED


def test_with_a_worker_pages_do_not_process(settings, github, admin_client, world):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    stuck = stuck_delivery(github)
    admin_client.get(reverse("integrations:list", kwargs={"slug": world.workspace.slug}))
    stuck.refresh_from_db()
    assert stuck.status == DeliveryStatus.RECEIVED  # the beat's sweep owns it


# --- The webhook URL to copy --------------------------------------------------------------


def edit_url(world, integration) -> str:
    return reverse(
        "integrations:integration_edit",
        kwargs={"slug": world.workspace.slug, "integration_id": integration.pk},
    )


def test_the_hook_url_uses_site_url_when_it_is_set(settings, world, github, admin_client):
    settings.SITE_URL = "https://alignment.example.com"
    html = admin_client.get(edit_url(world, github)).content.decode()
    assert f"https://alignment.example.com/hooks/github/{github.uuid}/" in html
    assert ":8000" not in html


def test_the_hook_url_uses_the_requests_host_and_port_otherwise(
    settings, world, github, admin_client, monkeypatch
):
    monkeypatch.delenv("SITE_URL", raising=False)
    settings.SITE_URL = settings.DEFAULT_SITE_URL
    settings.ALLOWED_HOSTS = ["alignment.local"]
    page = admin_client.get(edit_url(world, github), HTTP_HOST="alignment.local:8123")
    html = page.content.decode()
    assert f"http://alignment.local:8123/hooks/github/{github.uuid}/" in html
    assert "127.0.0.1:8000" not in html


def test_a_force_push_keeps_unrewritten_links_of_other_branches(
    github, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    other = payload("github/push__force_1_commit-fork.json")
    other.update(forced=False, ref="refs/heads/main")
    other["commits"][0].update(id="b" * 40, message="ENG-1 on main")
    send_github(capture, github, "push", other, "main-push")
    forced = payload("github/push__force_1_commit-fork.json")
    forced["commits"][0]["message"] = "ENG-1 rewritten"
    send_github(capture, github, "push", forced, "forced")
    ids = set(ExternalLink.objects.values_list("external_id", flat=True))
    assert ids == {"b" * 40, forced["commits"][0]["id"]}


@pytest.mark.parametrize("exc", ["no such table: x", "disk I/O error"])
def test_a_non_transient_database_error_fails_the_delivery(
    github, monkeypatch, django_capture_on_commit_callbacks, exc
):
    def broken(delivery, data):
        raise OperationalError(exc)

    monkeypatch.setitem(inbound.handler_for.__globals__["_HANDLERS"], ("github", "push"), broken)
    with django_capture_on_commit_callbacks(execute=True):
        post_github(github, "push", big_push(10), delivery="d1")
    assert InboundDelivery.objects.get().status == DeliveryStatus.FAILED
