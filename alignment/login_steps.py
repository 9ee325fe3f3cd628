"""What follows a verified password: a second step an app registered, or the session itself.

The core does not know about second factors. An app that adds one (twofactor/) registers a
step in its `AppConfig.ready`; the log-in view hands every verified password here. A step
returns a response (e.g. a redirect to its own form) to take over, or None to let the log-in
complete. Other ways of logging in (single sign-on) call `complete_login` directly and skip
the steps, because the identity provider has done its own checks.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from alignment.models import User

PASSWORD_BACKEND = "alignment.auth_backends.EmailBackend"

SecondStep = Callable[[HttpRequest, User, str], HttpResponse | None]
_steps: list[SecondStep] = []


def register_second_step(step: SecondStep) -> None:
    """Ask `step(request, user, next_url)` before any password log-in completes."""
    if step not in _steps:
        _steps.append(step)


def safe_next(next_url: str | None) -> str:
    """A local path to go to after logging in, or "" (never another site: no open redirect)."""
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return ""


def complete_login(
    request: HttpRequest, user: User, *, next_url: str = "", backend: str = PASSWORD_BACKEND
) -> HttpResponse:
    """Start the authenticated session and go to `next_url` (when local) or home."""
    login(request, user, backend=backend)
    return redirect(safe_next(next_url) or "home")


def password_verified(request: HttpRequest, user: User, *, next_url: str = "") -> HttpResponse:
    """The password was right: run the registered second steps, then log in."""
    for step in _steps:
        response = step(request, user, safe_next(next_url))
        if response is not None:
            return response
    return complete_login(request, user, next_url=next_url)
