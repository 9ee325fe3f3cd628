"""The chat-completions client against a local server speaking the protocol."""

from __future__ import annotations

import pytest

from assistant import client
from tests.assistant.openai_server import FakeOpenAI

MESSAGES = [{"role": "user", "content": "Hello"}]


def _endpoint(fake: FakeOpenAI, timeout: float = 1) -> client.Endpoint:
    return client.Endpoint(fake.base_url, "local-test", "sk-local", timeout)


def test_a_whole_completion_is_read_and_the_request_is_the_protocols(fake_openai):
    fake_openai.answer("Hi there.")
    assert client.chat(_endpoint(fake_openai), MESSAGES) == "Hi there."
    sent = fake_openai.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == "Bearer sk-local"
    assert sent["body"] == {
        "model": "local-test",
        "messages": MESSAGES,
        "stream": False,
        "temperature": 0,
    }


def test_a_streamed_completion_is_joined_from_its_chunks_until_done(fake_openai):
    text = "A longer answer that arrives in many server-sent chunks."
    fake_openai.answer(text, stream=True)
    pieces = list(client.chat_stream(_endpoint(fake_openai), MESSAGES))
    assert len(pieces) > 3
    assert "".join(pieces) == text
    assert fake_openai.requests[0]["body"]["stream"] is True


@pytest.mark.parametrize(
    ("status", "words"), [(429, "rate limited (429)"), (500, "failed (500)"), (503, "(503)")]
)
@pytest.mark.parametrize("stream", [False, True])
def test_rate_limits_and_server_errors_are_unavailable_with_a_note(
    fake_openai, status, words, stream
):
    fake_openai.fail(status)
    with pytest.raises(client.ModelUnavailable) as caught:
        client.chat(_endpoint(fake_openai), MESSAGES, stream=stream)
    assert words in caught.value.note


@pytest.mark.parametrize("stream", [False, True])
def test_a_stalled_model_times_out(fake_openai, stream):
    fake_openai.stall(1.5)
    with pytest.raises(client.ModelUnavailable) as caught:
        client.chat(_endpoint(fake_openai, timeout=0.3), MESSAGES, stream=stream)
    assert "did not answer within 0.3 s" in caught.value.note


def test_a_refused_connection_is_unavailable(fake_openai):
    endpoint = client.Endpoint("http://127.0.0.1:9/v1", "m", "", 0.5)
    with pytest.raises(client.ModelUnavailable, match="could not be reached"):
        client.chat(endpoint, MESSAGES)


def test_no_base_url_means_no_endpoint(settings):
    settings.ASSISTANT_BASE_URL = ""
    assert client.configured_endpoint() is None
