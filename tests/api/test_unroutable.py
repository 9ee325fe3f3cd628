"""Every answer under /api/ is JSON, even when no route matches the address."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "key-results/-1/",  # an id the URL pattern does not accept
        "tasks/not a key/",
        "objectives/1e309/",
        "no-such-collection/",
    ],
)
def test_an_unroutable_api_address_is_a_json_404(world, member_api, path):
    response = member_api.get(f"/api/v1/workspaces/{world.workspace.slug}/{path}")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_api_version_is_a_json_404(member_api):
    response = member_api.post("/api/v9/anything/", {}, "application/json")

    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("Not found")


def test_pages_keep_their_html_404(world, member_client):
    response = member_client.get(f"/w/{world.workspace.slug}/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
