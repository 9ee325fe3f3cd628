"""Tests that need a real service: skip locally when it is absent, fail under CI=true."""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def require(available: bool, what: str) -> None:
    if available:
        return
    if CI:
        pytest.fail(f"{what} is required under CI=true but is not available.")
    pytest.skip(f"{what} is not available here.")


def port_open(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def require_redis() -> str:
    url = os.environ.get("REDIS_URL", "")
    require(bool(url) and port_open(url, 6379), "Redis (REDIS_URL)")
    return url


def require_postgres() -> None:
    from django.conf import settings

    require(settings.IS_POSTGRES, "PostgreSQL (DATABASE_URL=postgres://…)")


def require_chromium() -> str:
    require(os.path.exists(CHROMIUM) or bool(shutil.which("chromium")), f"Chromium at {CHROMIUM}")
    return CHROMIUM if os.path.exists(CHROMIUM) else str(shutil.which("chromium"))
