"""Signature schemes: GitHub, GitLab, Slack (with Slack's published test vector), ours."""

from __future__ import annotations

import hashlib
import hmac

from integrations.signatures import (
    alignment_signature,
    alignment_verify,
    github_signature,
    github_verify,
    gitlab_verify,
    slack_verify,
)
from tests.integrations.conftest import load_fixture


def test_slacks_documented_example_signature_verifies_exactly(fixtures_dir):
    example = load_fixture(fixtures_dir, "slack/signing_example.json")
    ts = example["headers"]["X-Slack-Request-Timestamp"]
    assert slack_verify(
        example["signing_secret"],
        example["body"].encode(),
        ts,
        example["headers"]["X-Slack-Signature"],
        now=int(ts),
    )


def test_slack_signature_older_than_five_minutes_is_refused(fixtures_dir):
    example = load_fixture(fixtures_dir, "slack/signing_example.json")
    ts = example["headers"]["X-Slack-Request-Timestamp"]
    assert not slack_verify(
        example["signing_secret"],
        example["body"].encode(),
        ts,
        example["headers"]["X-Slack-Signature"],
        now=int(ts) + 301,
    )


def test_slack_signature_over_a_changed_body_is_refused(fixtures_dir):
    example = load_fixture(fixtures_dir, "slack/signing_example.json")
    ts = example["headers"]["X-Slack-Request-Timestamp"]
    body = example["body"].replace("text=", "text=deploy").encode()
    assert not slack_verify(
        example["signing_secret"], body, ts, example["headers"]["X-Slack-Signature"], now=int(ts)
    )


def test_github_signature_is_hmac_sha256_of_the_raw_body():
    body = b'{"zen":"Keep it logically awesome."}'
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert github_signature("s3cret", body) == expected
    assert github_verify("s3cret", body, expected)


def test_github_signature_with_another_secret_or_none_is_refused():
    body = b"{}"
    assert not github_verify("s3cret", body, github_signature("other", body))
    assert not github_verify("s3cret", body, None)
    assert not github_verify("", body, github_signature("", body))


def test_gitlab_token_must_match_exactly():
    assert gitlab_verify("token-1234567890", "token-1234567890")
    assert not gitlab_verify("token-1234567890", "token-1234567891")
    assert not gitlab_verify("token-1234567890", None)


def test_our_signature_verifies_with_the_secret_and_not_without():
    header = alignment_signature(["whsec_a"], 1_700_000_000, b'{"id":"evt_1"}')
    assert alignment_verify("whsec_a", b'{"id":"evt_1"}', header, now=1_700_000_000)
    assert not alignment_verify("whsec_b", b'{"id":"evt_1"}', header, now=1_700_000_000)
    assert not alignment_verify("whsec_a", b'{"id":"evt_2"}', header, now=1_700_000_000)


def test_our_signature_carries_one_v1_per_secret_during_rotation():
    header = alignment_signature(["new", "old"], 1_700_000_000, b"{}")
    assert header.count("v1=") == 2
    assert alignment_verify("old", b"{}", header, now=1_700_000_000)
    assert alignment_verify("new", b"{}", header, now=1_700_000_000)


def test_our_signature_from_long_ago_is_refused():
    header = alignment_signature(["whsec_a"], 1_700_000_000, b"{}")
    assert not alignment_verify("whsec_a", b"{}", header, now=1_700_000_000 + 301)
