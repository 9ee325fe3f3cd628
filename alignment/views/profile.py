"""Your own profile and password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from alignment.forms import ProfileForm
from alignment.http import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name})
    if request.method == "POST" and form.is_valid():
        user.full_name = form.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "password_form": PasswordChangeForm(user)},
        status=status,
    )


@login_required
@require_http_methods(["POST"])
def password_change(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, "Password changed.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": ProfileForm(initial={"full_name": request.user.full_name}), "password_form": form},
        status=422,
    )
