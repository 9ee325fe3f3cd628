"""Reading what a surface shows in the cross-surface tests: a page's HTML or an API answer,
failing the test (with the path) on anything but a 200."""

from __future__ import annotations

from typing import Any

from django.test import Client


def page_html(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def api_json(client: Client, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, (path, response.content[:300])
    return response.json()
