import pytest

pytestmark = pytest.mark.django_db


def test_login_page_renders_with_csp_and_no_inline_script(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert "Log in to Alignment" in body
    assert "<script>" not in body


def test_workspace_home_for_member(member_client, world):
    response = member_client.get(f"/w/{world.workspace.slug}/")
    assert response.status_code == 200
    assert world.team.name in response.content.decode()
