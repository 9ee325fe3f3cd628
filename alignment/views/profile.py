"""Your own profile and password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from alignment.errors import FieldErrors
from alignment.forms import ProfileForm
from alignment.http import AuthedRequest, add_field_errors, form_status
from alignment.models import User
from alignment.timezones import user_time_zone_set, zone_names


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial=_initial(user))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user_time_zone_set(user=user, name=form.cleaned_data["time_zone"])
                user.full_name = form.cleaned_data["full_name"].strip()
                user.save(update_fields=["full_name"])
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
    status = form_status(request)
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "password_form": PasswordChangeForm(user), "zone_names": zone_names()},
        status=status,
    )


def _initial(user: User) -> dict[str, str]:
    return {"full_name": user.full_name, "time_zone": user.time_zone}


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
        {
            "form": ProfileForm(initial=_initial(request.user)),
            "password_form": form,
            "zone_names": zone_names(),
        },
        status=422,
    )
