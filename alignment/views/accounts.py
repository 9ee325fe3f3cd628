"""Signing up, logging in and out, invitations. Password reset uses Django's own views."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from alignment import lockout, login_steps, services
from alignment.auth_backends import EmailBackend
from alignment.errors import DomainError, FieldErrors
from alignment.forms import LoginForm, SignUpForm
from alignment.http import add_field_errors, form_status
from alignment.models import Membership


def _lockout_message(until: datetime) -> str:
    minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
    return (
        f"Too many failed log-ins from this address. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}, or reset your password."
    )


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect("home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            email = form.cleaned_data["email"]
            ip = lockout.client_ip(request.META)
            until = lockout.locked_until(email, ip)
            if until:
                form.add_error(None, _lockout_message(until))
                status = 429
            else:
                user = EmailBackend().authenticate(
                    request, email=email, password=form.cleaned_data["password"]
                )
                if user is None:
                    until = lockout.record_failure(email, ip)
                    if until:
                        form.add_error(None, _lockout_message(until))
                        status = 429
                    else:
                        form.add_error(None, "That e-mail and password do not match an account.")
                else:
                    lockout.record_success(email, ip)
                    next_url = request.POST.get("next") or request.GET.get("next") or ""
                    # A registered second step (two-factor) may take over before the session.
                    return login_steps.password_verified(request, user, next_url=next_url)
    response = render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )
    response.status_code = status
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_sign_up(**form.cleaned_data)
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            login(request, user, backend="alignment.auth_backends.EmailBackend")
            messages.success(request, "Welcome! Your workspace is ready: start by adding a team.")
            return redirect("home")
    status = form_status(request)
    return render(request, "accounts/signup.html", {"form": form}, status=status)


def home(request: HttpRequest) -> HttpResponse:
    """Signed in: your first workspace (or the switcher). Signed out: the log-in page."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    memberships = list(Membership.objects.filter(user=request.user).select_related("workspace")[:2])
    if len(memberships) == 1:
        return redirect(memberships[0].workspace.get_absolute_url())
    return redirect("workspaces")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_by_token(token)
    except DomainError as exc:
        return render(
            request, "error.html", {"status": exc.status, "message": exc.text}, status=exc.status
        )
    if not request.user.is_authenticated:
        return render(request, "accounts/invitation.html", {"invitation": invitation})
    if request.method == "POST":
        membership = services.invitation_accept(user=request.user, raw_token=token)
        messages.success(request, f"You joined {membership.workspace.name}.")
        return redirect(membership.workspace.get_absolute_url())
    return render(request, "accounts/invitation.html", {"invitation": invitation})


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
