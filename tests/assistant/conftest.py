from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.assistant.openai_server import FakeOpenAI, start


@pytest.fixture
def fake_openai(settings) -> Iterator[FakeOpenAI]:
    """A local chat-completions server, configured as the assistant's model."""
    fake = start()
    settings.ASSISTANT_BASE_URL = fake.base_url
    settings.ASSISTANT_MODEL = "local-test"
    settings.ASSISTANT_API_KEY = "sk-local"
    settings.ASSISTANT_TIMEOUT = 1
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
