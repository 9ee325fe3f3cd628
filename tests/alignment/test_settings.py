"""Production settings: `check --deploy` is clean, headers and cookies strict, no silent defaults.

Settings are read once at import, so production values are exercised in a fresh interpreter
with a production environment; headers that do not depend on DEBUG are checked in-process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# Variables a developer's shell or CI may set that would leak into the "production" process.
CONFIG_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "ALIGNMENT_TESTING",
    "CELERY_TASK_ALWAYS_EAGER",
    "CELERY_RESULT_BACKEND",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests' conftest sets it in this process
)


def production_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="alignment.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="alignment.example.com",
        CSRF_TRUSTED_ORIGINS="https://alignment.example.com",
        DATABASE_URL="postgres://alignment:secret@db.internal:5432/alignment",
        REDIS_URL="redis://redis.internal:6379/0",
    )
    env.update(overrides)
    return env


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env()
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_false_without_secret_key_refuses_to_start():
    env = production_env()
    del env["SECRET_KEY"]

    result = run_python(["manage.py", "check"], env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is false." in result.stderr


def test_debug_defaults_to_a_development_key_only_when_debug_is_on():
    env = production_env(DEBUG="true")
    del env["SECRET_KEY"]

    result = run_python(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SECRET_KEY.startswith('dev-only-'))",
        ],
        env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


# Runs in a production-configured interpreter: one anonymous GET of the login page over the
# proxy's HTTPS, one plain-HTTP GET of a page, one plain-HTTP GET of the health check.
PRODUCTION_REQUESTS = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="alignment.example.com")
login = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
plain = client.get("/accounts/login/")
health = client.get("/healthz")
cookie = login.cookies["csrftoken"]
print(json.dumps({
    "login_status": login.status_code,
    "hsts": login.headers.get("Strict-Transport-Security"),
    "csrf_cookie": {"secure": bool(cookie["secure"]), "samesite": cookie["samesite"]},
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "health_status": health.status_code,
}))
"""


@pytest.fixture(scope="module")
def production_responses(tmp_path_factory) -> dict[str, object]:
    database = tmp_path_factory.mktemp("production") / "db.sqlite3"
    # ALIGNMENT_TESTING keeps {% static %} off the manifest, which only collectstatic writes.
    env = production_env(DATABASE_URL=f"sqlite:///{database}", ALIGNMENT_TESTING="true")
    env.pop("REDIS_URL")
    result = run_python(["-c", PRODUCTION_REQUESTS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_over_https(production_responses):
    assert production_responses["login_status"] == 200
    assert production_responses["hsts"] == "max-age=31536000; includeSubDomains; preload"


def test_production_csrf_cookie_is_secure_and_same_site(production_responses):
    assert production_responses["csrf_cookie"] == {"secure": True, "samesite": "Lax"}


def test_production_redirects_plain_http_to_https(production_responses):
    assert production_responses["plain_status"] == 301
    assert production_responses["plain_location"] == "https://alignment.example.com/accounts/login/"


def test_production_health_check_answers_over_plain_http(production_responses):
    assert production_responses["health_status"] == 200


@pytest.mark.django_db
def test_script_src_has_no_unsafe_inline(client):
    response = client.get("/accounts/login/")

    directives = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_pages_forbid_framing_and_sniffing_and_limit_the_referrer(client):
    response = client.get("/accounts/login/")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_session_cookie_is_http_only_and_same_site(client, world):
    response = client.post(
        "/accounts/login/",
        {"email": world.member.user.email, "password": "correct-horse-battery"},
    )

    assert response.status_code == 302
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
