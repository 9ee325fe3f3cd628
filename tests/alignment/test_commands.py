"""manage.py create_api_token: prints only the raw token; clear errors otherwise."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from alignment.models import ApiToken, TokenScope

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def test_prints_only_a_working_token(world):
    output = run(
        "--email",
        world.member.user.email,
        "--workspace",
        world.workspace.slug,
        "--scope",
        "write",
        "--name",
        "Nightly",
        "--expires-in-days",
        "7",
    )

    raw = output.strip()
    assert output == raw + "\n"
    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.user) == ("Nightly", TokenScope.WRITE, world.member.user)
    assert raw.startswith(token.prefix)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me/")
    assert response.json()["token"]["workspace"] == world.workspace.slug


def test_defaults_to_read_scope_and_no_expiry(world):
    run("--email", world.viewer.user.email.upper(), "--workspace", world.workspace.slug)

    token = ApiToken.objects.get()
    assert (token.scope, token.expires_at, token.name) == (TokenScope.READ, None, "Command line")


@pytest.mark.parametrize(
    ("email", "slug", "message"),
    [
        ("ghost@example.com", "acme-inc", "No user has the e-mail address ghost@example.com."),
        ("member@acme.example.com", "nowhere", "No workspace has the slug “nowhere”."),
        (
            "member@globex.example.com",
            "acme-inc",
            "member@globex.example.com is not a member of acme-inc.",
        ),
    ],
)
def test_unknown_or_outside_people_are_explained(world, world_b, email, slug, message):
    with pytest.raises(CommandError, match=message):
        run("--email", email, "--workspace", slug)
    assert not ApiToken.objects.exists()


def test_a_viewer_cannot_get_a_write_token(world):
    with pytest.raises(CommandError, match="Viewers can only create read-only tokens."):
        run(
            "--email",
            world.viewer.user.email,
            "--workspace",
            world.workspace.slug,
            "--scope",
            "write",
        )
    assert not ApiToken.objects.exists()


def test_out_of_range_expiry_is_explained(world):
    with pytest.raises(CommandError, match="Choose between 1 and 366 days"):
        run(
            "--email",
            world.member.user.email,
            "--workspace",
            world.workspace.slug,
            "--expires-in-days",
            "1000",
        )
