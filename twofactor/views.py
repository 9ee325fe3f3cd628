"""Your own two-factor pages (under /accounts/two-factor/) and the log-in's second step."""

from __future__ import annotations

from base64 import b32encode
from datetime import datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment import lockout, login_steps
from alignment.errors import FieldErrors
from alignment.http import AuthedRequest, add_field_errors, see_other
from twofactor import login, selectors, services
from twofactor.errors import CodeThrottled
from twofactor.forms import DisableForm, PasswordForm, SetupForm, VerifyForm

# The new recovery codes wait here between the POST that made them and the page showing them.
NEW_CODES_KEY = "twofactor_new_codes"


def _show_codes_once(request: HttpRequest, codes: list[str], next_url: str = "") -> HttpResponse:
    request.session[NEW_CODES_KEY] = {"codes": codes, "next": login_steps.safe_next(next_url)}
    return see_other(reverse("twofactor:recovery_codes"))


def overview_context(request: AuthedRequest, **extra: object) -> dict[str, object]:
    """The overview page's context; a form that failed replaces its empty default."""
    return {
        "status": selectors.two_factor_status(request.user),
        "password_form": PasswordForm(),
        "disable_form": DisableForm(),
        "remove_form": PasswordForm(),
        **extra,
    }


@login_required
@require_GET
def overview(request: AuthedRequest) -> HttpResponse:
    """Two-factor on or off, recovery codes left, passkeys; turning it off."""
    return render(request, "twofactor/overview.html", overview_context(request))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: AuthedRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), then confirm with a code from the app."""
    next_url = login_steps.safe_next(request.POST.get("next") or request.GET.get("next"))
    if selectors.has_two_factor(request.user):
        messages.info(request, "Two-factor authentication is already on.")
        return redirect(next_url or "twofactor:overview")
    form = SetupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_factor_enable(user=request.user, code=form.cleaned_data["code"])
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, "Two-factor authentication is on.")
            return _show_codes_once(request, codes, next_url)
    device = services.totp_device_for_setup(user=request.user)
    secret = _base32(device.bin_key)
    qr_svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", svgclass="qr-code"
    )
    context = {
        "form": form,
        "qr_svg": mark_safe(qr_svg),  # noqa: S308 - segno's own markup, no user input in it
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": next_url,
    }
    return render(request, "twofactor/setup.html", context, status=422 if form.errors else 200)


def _base32(key: bytes) -> str:
    return b32encode(key).decode().rstrip("=")


@never_cache
@login_required
@require_GET
def recovery_codes(request: AuthedRequest) -> HttpResponse:
    """The new recovery codes, shown once: they leave the session as they are shown."""
    pending = request.session.pop(NEW_CODES_KEY, None)
    if not pending:
        messages.info(
            request, "Recovery codes are shown only once. Make new ones if you lost them."
        )
        return redirect("twofactor:overview")
    return render(
        request,
        "twofactor/recovery_codes.html",
        {"codes": pending["codes"], "next": pending.get("next") or ""},
    )


@login_required
@require_POST
def recovery_codes_regenerate(request: AuthedRequest) -> HttpResponse:
    form = PasswordForm(request.POST)
    if form.is_valid():
        try:
            codes = services.recovery_codes_regenerate(
                user=request.user, password=form.cleaned_data["password"]
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, "New recovery codes made; the old ones no longer work.")
            return _show_codes_once(request, codes)
    context = overview_context(request, password_form=form)
    return render(request, "twofactor/overview.html", context, status=422)


@login_required
@require_POST
def disable(request: AuthedRequest) -> HttpResponse:
    form = DisableForm(request.POST)
    if form.is_valid():
        try:
            services.two_factor_disable(
                user=request.user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        except CodeThrottled as exc:
            form.add_error("code", exc.text)
        else:
            request.session.pop(login.METHOD_KEY, None)
            messages.success(request, "Two-factor authentication is off.")
            return see_other(reverse("twofactor:overview"))
    context = overview_context(request, disable_form=form)
    return render(request, "twofactor/overview.html", context, status=422)


def _wait_message(until: datetime) -> str:
    minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
    return (
        f"Too many wrong codes from this address. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}."
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The log-in's second step: a code from the app, a recovery code, or a passkey."""
    user = login.pending_user(request)
    if user is None:
        messages.info(request, "Log in with your e-mail and password first.")
        return redirect("accounts:login")
    form = VerifyForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            key, ip = login.lockout_key(user), lockout.client_ip(request.META)
            until = lockout.locked_until(key, ip)
            if until:
                form.add_error(None, _wait_message(until))
                status = 429
            else:
                try:
                    method = services.second_factor_check(user=user, code=form.cleaned_data["code"])
                except CodeThrottled as exc:
                    form.add_error(None, exc.text)
                    status = 429
                else:
                    if method is not None:
                        lockout.record_success(key, ip)
                        if method == "recovery_code":
                            messages.warning(
                                request,
                                "You used a recovery code; it will not work again. Make new "
                                "codes on your profile if few are left.",
                            )
                        return login.finish(request, user, method=method)
                    until = lockout.record_failure(key, ip)
                    if until:
                        form.add_error(None, _wait_message(until))
                        status = 429
                    else:
                        form.add_error("code", "That code is not right.")
    context = {"form": form, "has_passkeys": user.passkeys.exists()}
    return render(request, "twofactor/verify.html", context, status=status)


@require_POST
def verify_cancel(request: HttpRequest) -> HttpResponse:
    login.cancel(request)
    return redirect("accounts:login")
