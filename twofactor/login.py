"""The second step of a password log-in, for people who have two-factor on.

After the password, the session holds only a *pending* log-in: who, until when, and a hash
that changes with the password. Nothing is authenticated until a code (or a passkey) passes;
the pending state dies with a password change, after TWO_FACTOR_LOGIN_TIMEOUT_SECONDS, on
log-out, and when the step succeeds. No "remember this device": every log-in asks.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from alignment import login_steps
from alignment.models import User
from twofactor import selectors

PENDING_KEY = "twofactor_pending"
# Kept on the authenticated session: how its second step was passed (shown on the profile).
METHOD_KEY = "twofactor_method"
# Lock-out keys live beside the e-mail addresses of password failures (alignment.lockout).
LOCKOUT_PREFIX = "2fa:"


def second_step(request: HttpRequest, user: User, next_url: str) -> HttpResponse | None:
    """Registered with alignment.login_steps: hold the log-in until the second factor passes."""
    if not selectors.has_two_factor(user):
        return None
    # A new session key: whoever knew the anonymous one gains nothing from this step.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "auth_hash": user.get_session_auth_hash(),
        "next": next_url,
        "started_at": timezone.now().isoformat(),
    }
    return redirect("twofactor:verify")


def pending_user(request: HttpRequest) -> User | None:
    """The person whose password passed in this session and who may enter a code now."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    try:
        started = datetime.fromisoformat(str(pending.get("started_at")))
        user_id = int(pending["user_id"])
    except (KeyError, TypeError, ValueError):
        request.session.pop(PENDING_KEY, None)
        return None
    age = (timezone.now() - started).total_seconds()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if (
        user is None
        or not 0 <= age <= settings.TWO_FACTOR_LOGIN_TIMEOUT_SECONDS
        or user.get_session_auth_hash() != pending.get("auth_hash")
    ):
        request.session.pop(PENDING_KEY, None)
        return None
    return user


def lockout_key(user: User) -> str:
    return f"{LOCKOUT_PREFIX}{user.pk}"


def finish(request: HttpRequest, user: User, *, method: str) -> HttpResponse:
    """The second factor passed: start the real session and go where the log-in was headed."""
    pending = request.session.pop(PENDING_KEY, {})
    response = login_steps.complete_login(request, user, next_url=pending.get("next", ""))
    request.session[METHOD_KEY] = method
    return response


def cancel(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
