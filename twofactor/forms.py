"""Input shapes of the two-factor pages; no writes here."""

from __future__ import annotations

from django import forms


def _code_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


def _password_field() -> forms.CharField:
    return forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SetupForm(forms.Form):
    code = _code_field("Code from the app", "The 6-digit code your authenticator app shows now.")


class VerifyForm(forms.Form):
    code = _code_field(
        "Code", "The 6-digit code from your authenticator app, or one of your recovery codes."
    )


class PasswordForm(forms.Form):
    password = _password_field()


class DisableForm(forms.Form):
    password = _password_field()
    code = _code_field("Code", "The app's current code, or a recovery code.")


class PolicyForm(forms.Form):
    required = forms.BooleanField(
        label="Require two-factor authentication for every member",
        required=False,
        help_text="Members without it are sent to set it up on their next page here. "
        "API tokens keep working.",
    )
