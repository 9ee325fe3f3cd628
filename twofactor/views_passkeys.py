"""Passkey endpoints: JSON for the page script (static/js/passkeys.js), a form to remove one."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from alignment import lockout
from alignment.errors import DomainError, FieldErrors
from alignment.http import AuthedRequest, add_field_errors, see_other
from twofactor import login, passkeys
from twofactor.forms import PasswordForm
from twofactor.views import overview_context


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse({"error": {"code": exc.code, "message": exc.text}}, status=exc.status)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


@login_required
@require_POST
def register_options(request: AuthedRequest) -> JsonResponse:
    try:
        return JsonResponse(passkeys.registration_options(request, request.user))
    except DomainError as exc:
        return _error(exc)


@login_required
@require_POST
def register(request: AuthedRequest) -> JsonResponse:
    body = _body(request)
    credential = body.get("credential")
    if not isinstance(credential, dict):
        return _error(passkeys.PasskeyRefused(reason="the answer is missing."))
    try:
        passkey = passkeys.passkey_register(
            request, request.user, credential=credential, name=body.get("name")
        )
    except DomainError as exc:
        return _error(exc)
    messages.success(request, f"Passkey “{passkey.name}” added.")
    return JsonResponse({"redirect": reverse("twofactor:overview")}, status=201)


@login_required
@require_POST
def remove(request: AuthedRequest, passkey_id: int) -> HttpResponse:
    form = PasswordForm(request.POST)
    if form.is_valid():
        try:
            passkey = passkeys.passkey_remove(
                user=request.user, passkey_id=passkey_id, password=form.cleaned_data["password"]
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Passkey “{passkey.name}” removed.")
            return see_other(reverse("twofactor:overview"))
    context = overview_context(request, remove_form=form, remove_id=passkey_id)
    return render(request, "twofactor/overview.html", context, status=422)


def _not_pending() -> JsonResponse:
    return JsonResponse(
        {"error": {"code": "not_logged_in", "message": "Log in with your password first."}},
        status=401,
    )


@require_POST
def login_options(request: HttpRequest) -> JsonResponse:
    user = login.pending_user(request)
    if user is None:
        return _not_pending()
    try:
        return JsonResponse(passkeys.authentication_options(request, user))
    except DomainError as exc:
        return _error(exc)


@require_POST
def login_verify(request: HttpRequest) -> JsonResponse:
    """Pass the log-in's second step with a passkey; counted by the same lock-out as codes."""
    user = login.pending_user(request)
    if user is None:
        return _not_pending()
    key, ip = login.lockout_key(user), lockout.client_ip(request.META)
    if lockout.locked_until(key, ip):
        return JsonResponse(
            {"error": {"code": "locked", "message": "Too many failed attempts; wait a while."}},
            status=429,
        )
    credential = _body(request).get("credential")
    try:
        if not isinstance(credential, dict):
            raise passkeys.PasskeyRefused(reason="the answer is missing.")
        passkeys.passkey_check(request, user, credential=credential)
    except DomainError as exc:
        lockout.record_failure(key, ip)
        return _error(exc)
    lockout.record_success(key, ip)
    response = login.finish(request, user, method="passkey")
    return JsonResponse({"redirect": response["Location"]})
