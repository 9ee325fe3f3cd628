"""The production shape: docker-compose.yml, the Dockerfile, docs/deploy.md and .ci/run agree.

Docker does not run here, so these read the files: the compose structure, that the app roles
share one image and environment, that every variable it sets is one the settings read.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
APP_ROLES = ("web", "worker", "beat", "migrate")
REQUIRED_ENV = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
)
# Read by gunicorn itself, not by settings.py.
NON_SETTINGS_ENV = {"WEB_CONCURRENCY"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def documented_services() -> set[str]:
    text = (BASE_DIR / "docs" / "deploy.md").read_text()
    section = text.split("## Services", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE))


def command_of(service: dict) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def test_every_documented_service_exists_and_none_is_undocumented(services):
    assert documented_services() == set(services)


@pytest.mark.parametrize("role", ["live", "worker", "beat", "migrate"])
def test_app_roles_share_the_web_image_build_and_environment(services, role):
    web = services["web"]

    assert services[role]["image"] == web["image"]
    assert services[role]["build"] == web["build"]
    assert services[role]["environment"] == web["environment"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("web", "gunicorn alignment.wsgi:application --bind 0.0.0.0:8000"),
        ("live", "uvicorn alignment.asgi:application --host 0.0.0.0 --port 8001"),
        ("worker", "celery -A alignment worker"),
        ("beat", "celery -A alignment beat"),
        ("migrate", "python manage.py migrate --noinput"),
    ],
)
def test_each_role_runs_its_process(services, role, expected):
    assert command_of(services[role]).startswith(expected)


def test_app_environment_is_production_and_complete(services):
    environment = services["web"]["environment"]

    assert environment["DEBUG"] == "false"
    assert set(REQUIRED_ENV) <= set(environment)


def test_every_app_variable_is_read_by_the_settings(services):
    settings_source = (BASE_DIR / "alignment" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', settings_source))

    assert set(services["web"]["environment"]) - NON_SETTINGS_ENV <= read


@pytest.mark.parametrize("role", ["web", "live", "worker", "beat"])
def test_app_roles_start_after_healthy_services_and_migrations(services, role):
    assert services[role]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
        # The attachments bucket exists before the first upload.
        "minio-bucket": {"condition": "service_completed_successfully"},
    }


def test_migrate_runs_once(services):
    assert services["migrate"]["restart"] == "no"


def test_web_health_check_probes_healthz(services):
    check = " ".join(services["web"]["healthcheck"]["test"])

    assert "http://127.0.0.1:8000/healthz" in check


def test_the_proxy_sends_sockets_to_live_and_the_rest_to_web(services):
    caddyfile = (BASE_DIR / "Caddyfile").read_text()

    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    assert "reverse_proxy @live live:8001" in caddyfile
    assert "@live path /ws/*" in caddyfile
    assert "reverse_proxy web:8000" in caddyfile
    assert "http://127.0.0.1:8001/healthz" in " ".join(services["live"]["healthcheck"]["test"])


@pytest.mark.parametrize(
    ("service", "image", "volume", "mount"),
    [
        ("db", "postgres:15", "postgres-data", "/var/lib/postgresql/data"),
        ("redis", "redis:7", "redis-data", "/data"),
        ("minio", "minio/minio:RELEASE.2025-09-07T16-13-09Z", "minio-data", "/data"),
    ],
)
def test_data_services_are_pinned_checked_and_on_named_volumes(
    compose, services, service, image, volume, mount
):
    assert services[service]["image"] == image
    assert "test" in services[service]["healthcheck"]
    assert services[service]["volumes"] == [f"{volume}:{mount}"]
    assert volume in compose["volumes"]


def test_dockerfile_installs_locked_dependencies_and_runs_as_non_root():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)

    assert re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE) == [
        "python:3.11-slim",
        "python:3.11-slim",
    ]
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert users == ["alignment"]
    assert '"gunicorn", "alignment.wsgi:application"' in dockerfile


def test_dockerfile_uses_the_makefiles_uv_version():
    makefile = (BASE_DIR / "Makefile").read_text()
    version = re.search(r"^UV_VERSION := (\S+)$", makefile, flags=re.MULTILINE)

    assert version is not None
    assert f"uv=={version.group(1)}" in (BASE_DIR / "Dockerfile").read_text()


def test_ci_script_is_executable_strict_bash():
    script = BASE_DIR / ".ci" / "run"
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)

    assert script.stat().st_mode & 0o111
    assert "set -euo pipefail" in script.read_text().splitlines()[:6]
    assert syntax.returncode == 0, syntax.stderr
