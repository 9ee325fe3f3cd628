"""The inbound pipeline, end to end through the real endpoint with real signatures."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from django.test import Client

from integrations import registry, signatures
from integrations.models import DeliveryStatus, ExternalLink, InboundDelivery
from integrations.signatures import slack_signature
from tests.integrations.conftest import (
    GITLAB_TOKEN,
    SLACK_SECRET,
    body_of,
    find_fixtures_dir,
    load_fixture,
    post_github,
)

_FOUND = find_fixtures_dir()
# Collected from the shared directory; when it is missing, the fixtures_dir fixture skips/fails.
GITHUB_FILES = (
    sorted(p.name for p in (_FOUND / "github").glob("*.json")) if _FOUND else ["ping.json"]
)
# Events whose shared payloads name a task or a deployment; the CI and review events'
# payloads name no linked pull request here, so those are stored as "ignored" with the reason.
HANDLED = {"ping", "pull_request", "push"}


def _pr(fixtures_dir, variant: str, **changes):
    payload = load_fixture(fixtures_dir, f"github/pull_request__{variant}.json")
    payload["pull_request"].update(changes)
    return payload


@pytest.mark.parametrize("name", GITHUB_FILES)
def test_every_shared_github_payload_is_accepted_and_stored(
    name, fixtures_dir, github, django_capture_on_commit_callbacks
):
    event = name.split("__")[0].removesuffix(".json")
    body = (fixtures_dir / "github" / name).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(github, event, body, delivery=f"d-{name}")
    assert response.status_code == 202
    delivery = InboundDelivery.objects.get()
    assert delivery.event == event
    assert delivery.body == body.decode()
    expected = DeliveryStatus.PROCESSED if event in HANDLED else DeliveryStatus.IGNORED
    assert delivery.status == expected


def test_opened_pull_request_naming_a_key_links_it(
    fixtures_dir, github, django_capture_on_commit_callbacks
):
    payload = _pr(fixtures_dir, "opened", title="ENG-12 Update the README")
    with django_capture_on_commit_callbacks(execute=True):
        post_github(github, "pull_request", body_of(payload))
    link = ExternalLink.objects.get()
    assert (link.task_key, link.kind, link.state, link.provider) == (
        "ENG-12",
        "pull_request",
        "open",
        "github",
    )
    assert link.url == "https://github.com/Codertocat/Hello-World/pull/2"
    assert link.title == "#2 ENG-12 Update the README"
    assert link.workspace_id == github.workspace_id


def test_key_in_the_branch_name_links_the_pull_request(
    fixtures_dir, github, django_capture_on_commit_callbacks
):
    payload = _pr(fixtures_dir, "opened")
    payload["pull_request"]["head"]["ref"] = "eng-7-readme"
    with django_capture_on_commit_callbacks(execute=True):
        post_github(github, "pull_request", body_of(payload))
    assert list(ExternalLink.objects.values_list("task_key", flat=True)) == ["ENG-7"]


def test_merged_pull_request_updates_the_same_link(
    fixtures_dir, github, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_github(github, "pull_request", body_of(_pr(fixtures_dir, "opened", title="ENG-12 x")))
        closed = _pr(fixtures_dir, "closed", title="ENG-12 x", merged=True)
        post_github(github, "pull_request", body_of(closed), delivery="second")
    link = ExternalLink.objects.get()
    assert link.state == "merged"


def test_push_links_each_commit_naming_a_key(
    fixtures_dir, github, django_capture_on_commit_callbacks
):
    payload = load_fixture(fixtures_dir, "github/push__with-new-branch.json")
    payload["commits"][0]["message"] = "ENG-3: initial commit\n\nlonger text"
    with django_capture_on_commit_callbacks(execute=True):
        post_github(github, "push", body_of(payload))
    link = ExternalLink.objects.get()
    assert (link.kind, link.task_key, link.title, link.external_id) == (
        "commit",
        "ENG-3",
        "ENG-3: initial commit",
        payload["commits"][0]["id"],
    )


def test_wrong_signature_is_401_and_nothing_is_stored(fixtures_dir, github):
    body = (fixtures_dir / "github" / "ping.json").read_bytes()
    response = post_github(github, "ping", body, signature="sha256=" + "0" * 64)
    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0
    github.refresh_from_db()
    assert github.bad_signature_count == 1
    assert github.last_bad_signature_at is not None


def test_missing_signature_is_401_and_nothing_is_stored(fixtures_dir, github):
    body = (fixtures_dir / "github" / "ping.json").read_bytes()
    response = post_github(github, "ping", body, signature=None)
    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0


def test_signature_of_another_body_is_401(fixtures_dir, github):
    body = (fixtures_dir / "github" / "ping.json").read_bytes()
    signature = signatures.github_signature("It's a Secret to Everybody", body + b" ")
    assert post_github(github, "ping", body, signature=signature).status_code == 401


def test_refusals_never_log_the_secret(fixtures_dir, github, caplog):
    body = (fixtures_dir / "github" / "ping.json").read_bytes()
    post_github(github, "ping", body, signature="sha256=bad")
    assert "Secret to Everybody" not in caplog.text
    assert caplog.records  # the refusal itself is logged


def test_duplicate_delivery_is_processed_once(
    fixtures_dir, github, django_capture_on_commit_callbacks
):
    body = body_of(_pr(fixtures_dir, "opened", title="ENG-12 x"))
    with django_capture_on_commit_callbacks(execute=True):
        first = post_github(github, "pull_request", body, delivery="same-id")
    with django_capture_on_commit_callbacks(execute=True):
        second = post_github(github, "pull_request", body, delivery="same-id")
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["status"] == "already processed"
    delivery = InboundDelivery.objects.get()
    assert (delivery.attempts, delivery.redeliveries) == (1, 1)
    assert ExternalLink.objects.count() == 1


def test_redelivery_before_processing_is_still_processed_once(
    fixtures_dir, github, django_capture_on_commit_callbacks
):
    body = body_of(_pr(fixtures_dir, "opened", title="ENG-12 x"))
    with django_capture_on_commit_callbacks(execute=True):
        first = post_github(github, "pull_request", body, delivery="same-id")
        second = post_github(github, "pull_request", body, delivery="same-id")
    assert (first.status_code, second.status_code) == (202, 202)
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PROCESSED, 1)
    assert ExternalLink.objects.count() == 1


def test_processing_waits_for_the_commit(fixtures_dir, github, django_capture_on_commit_callbacks):
    body = (fixtures_dir / "github" / "ping.json").read_bytes()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_github(github, "ping", body)
    assert InboundDelivery.objects.get().status == DeliveryStatus.RECEIVED
    assert len(callbacks) == 1
    callbacks[0]()
    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED


def test_unknown_event_is_202_and_stored_as_ignored(fixtures_dir, github):
    # "issues" has no handler (check_suite and workflow_run, its neighbours, have one now).
    body = (fixtures_dir / "github" / "workflow_run__completed.json").read_bytes()
    response = post_github(github, "issues", body)
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert InboundDelivery.objects.get().status == DeliveryStatus.IGNORED


def test_malformed_json_is_400_and_nothing_is_stored(github):
    response = post_github(github, "ping", b"{not json")
    assert response.status_code == 400
    assert InboundDelivery.objects.count() == 0


def test_missing_delivery_header_is_400(github):
    body = b"{}"
    response = Client().post(
        f"/hooks/github/{github.uuid}/",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="ping",
        HTTP_X_HUB_SIGNATURE_256=signatures.github_signature("It's a Secret to Everybody", body),
    )
    assert response.status_code == 400


def test_unknown_or_paused_integration_is_404(fixtures_dir, github):
    body = (fixtures_dir / "github" / "ping.json").read_bytes()
    github.active = False
    github.save()
    assert post_github(github, "ping", body).status_code == 404
    assert InboundDelivery.objects.count() == 0


def test_gitlab_uuid_on_the_github_endpoint_is_404(fixtures_dir, gitlab):
    body = (fixtures_dir / "github" / "ping.json").read_bytes()
    assert post_github(gitlab, "ping", body).status_code == 404


def test_get_on_a_hook_is_405(github):
    assert Client().get(f"/hooks/github/{github.uuid}/").status_code == 405


def test_failed_handler_is_recorded_and_a_redelivery_runs_it_again(
    fixtures_dir, github, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(delivery, payload):
        raise RuntimeError("database hiccup")

    body = (fixtures_dir / "github" / "ping.json").read_bytes()
    monkeypatch.setitem(registry._HANDLERS, ("github", "ping"), broken)
    with django_capture_on_commit_callbacks(execute=True):
        post_github(github, "ping", body, delivery="d1")
    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "RuntimeError: database hiccup"
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(github, "ping", body, delivery="d1")
    assert response.status_code == 202
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (
        DeliveryStatus.PROCESSED,
        2,
        "",
    )


# --- GitLab -------------------------------------------------------------------------------


def _post_gitlab(integration, event, body, *, token=GITLAB_TOKEN, key="idem-1"):
    headers = {"HTTP_X_GITLAB_EVENT": event, "HTTP_IDEMPOTENCY_KEY": key}
    if token is not None:
        headers["HTTP_X_GITLAB_TOKEN"] = token
    return Client().post(
        f"/hooks/gitlab/{integration.uuid}/", body, content_type="application/json", **headers
    )


def test_gitlab_merge_request_naming_a_key_links_it(
    fixtures_dir, gitlab, django_capture_on_commit_callbacks
):
    payload = load_fixture(fixtures_dir, "gitlab/merge_request_hook__merged.json")
    payload["object_attributes"]["title"] = "ENG-5 Speed up search"
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_gitlab(gitlab, "Merge Request Hook", body_of(payload))
    assert response.status_code == 202
    link = ExternalLink.objects.get()
    assert (link.provider, link.kind, link.task_key, link.state) == (
        "gitlab",
        "merge_request",
        "ENG-5",
        "merged",
    )
    assert link.url == payload["object_attributes"]["url"]


def test_gitlab_push_with_null_message_is_processed(
    fixtures_dir, gitlab, django_capture_on_commit_callbacks
):
    body = (fixtures_dir / "gitlab" / "push_hook__self_managed.json").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        _post_gitlab(gitlab, "Push Hook", body)
    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED


def test_gitlab_wrong_token_is_401_and_nothing_is_stored(fixtures_dir, gitlab):
    body = (fixtures_dir / "gitlab" / "push_hook__docs_example.json").read_bytes()
    assert _post_gitlab(gitlab, "Push Hook", body, token="nope").status_code == 401
    assert _post_gitlab(gitlab, "Push Hook", body, token=None).status_code == 401
    assert InboundDelivery.objects.count() == 0


def test_gitlab_retry_with_the_same_idempotency_key_is_one_delivery(
    fixtures_dir, gitlab, django_capture_on_commit_callbacks
):
    body = (fixtures_dir / "gitlab" / "push_hook__docs_example.json").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        _post_gitlab(gitlab, "Push Hook", body, key="k-1")
    with django_capture_on_commit_callbacks(execute=True):
        second = _post_gitlab(gitlab, "Push Hook", body, key="k-1")
    assert second.status_code == 200
    assert InboundDelivery.objects.get().delivery_id == "k-1"


# --- Slack --------------------------------------------------------------------------------


def _post_slack(integration, body: str, ts: str, signature: str | None = None):
    return Client().post(
        f"/hooks/slack/{integration.uuid}/",
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=ts,
        HTTP_X_SLACK_SIGNATURE=signature or slack_signature(SLACK_SECRET, ts, body.encode()),
    )


def test_slacks_documented_request_is_accepted_at_its_own_time(fixtures_dir, slack, monkeypatch):
    example = load_fixture(fixtures_dir, "slack/signing_example.json")
    ts = example["headers"]["X-Slack-Request-Timestamp"]
    monkeypatch.setattr(signatures.time, "time", lambda: int(ts))
    response = _post_slack(slack, example["body"], ts, example["headers"]["X-Slack-Signature"])
    assert response.status_code == 200
    delivery = InboundDelivery.objects.get()
    assert (delivery.event, delivery.action) == ("slash_command", "/webhook-collect")


def test_replayed_slack_request_is_401_and_nothing_is_stored(fixtures_dir, slack):
    example = load_fixture(fixtures_dir, "slack/signing_example.json")
    ts = example["headers"]["X-Slack-Request-Timestamp"]  # 2018: far outside the window
    response = _post_slack(slack, example["body"], ts, example["headers"]["X-Slack-Signature"])
    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0


def test_fresh_slack_request_signed_now_is_accepted(fixtures_dir, slack):
    body = load_fixture(fixtures_dir, "slack/signing_example.json")["body"]
    response = _post_slack(slack, body, str(int(time.time())))
    assert response.status_code == 200
    assert InboundDelivery.objects.count() == 1


def test_slack_interaction_payload_is_parsed(fixtures_dir, slack):
    payload = load_fixture(fixtures_dir, "slack/block_actions__message_docs_example.json")
    inner = payload.get("body", payload)
    body = urlencode({"payload": json.dumps(inner)})
    response = _post_slack(slack, body, str(int(time.time())))
    assert response.status_code == 200
    assert InboundDelivery.objects.get().event == "block_actions"
