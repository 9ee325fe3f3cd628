"""Input shapes for the single sign-on pages. No writes happen here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from alignment.models import User
from sso.models import JOIN_ROLES, Protocol


class SsoLoginForm(forms.Form):
    email_or_workspace = forms.CharField(
        max_length=254,
        label="Work e-mail or workspace",
        help_text="Your work e-mail address (you@company.com) or your workspace's name in links.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class SsoConnectionForm(forms.Form):
    protocol = forms.ChoiceField(
        choices=Protocol.choices,
        required=False,
        label="Protocol",
        widget=forms.RadioSelect,
        help_text="Use OpenID Connect where your provider offers both.",
    )
    issuer = forms.URLField(
        max_length=300,
        required=False,
        label="OpenID Connect: issuer URL",
        help_text="As your provider states it; we read <issuer>/.well-known/openid-configuration.",
        assume_scheme="https",
    )
    client_id = forms.CharField(max_length=255, required=False, label="OpenID Connect: client ID")
    client_secret = forms.CharField(
        max_length=500,
        required=False,
        strip=True,
        label="OpenID Connect: client secret",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    saml_metadata_url = forms.URLField(
        max_length=500,
        required=False,
        label="SAML: IdP metadata URL",
        help_text="Read when you save (save again after the IdP changes its certificate).",
        assume_scheme="https",
    )
    saml_metadata_xml = forms.CharField(
        required=False,
        label="SAML: or paste the IdP metadata XML",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    saml_email_attribute = forms.CharField(
        max_length=300,
        required=False,
        label="SAML: e-mail attribute",
        help_text="Empty: the NameID (format emailAddress) is the e-mail address.",
    )
    allowed_domains = forms.CharField(
        label="Allowed e-mail domains",
        help_text="Comma- or space-separated, e.g. acme.com, acme.co.uk.",
    )
    is_enabled = forms.BooleanField(required=False, label="Single sign-on is on")
    auto_join = forms.BooleanField(
        required=False,
        label="Add people on their first sign-in (just-in-time membership)",
    )
    default_role = forms.ChoiceField(choices=JOIN_ROLES, label="Role of people added this way")
    is_required = forms.BooleanField(
        required=False,
        label="Require single sign-on: members may not log in with a password",
    )
    break_glass_user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Break-glass owner (may still log in with a password)",
        empty_label="Nobody",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sp_id = forms.RegexField(regex=r"^[A-Za-z0-9_-]{16}$", required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, owners: QuerySet[User], has_secret: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["break_glass_user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = owners
        if has_secret:
            self.fields["client_secret"].help_text = "Stored. Leave empty to keep it."

    def clean_protocol(self) -> str:
        return self.cleaned_data["protocol"] or Protocol.OIDC

    def clean_allowed_domains(self) -> list[str]:
        raw = self.cleaned_data["allowed_domains"]
        return [part for part in raw.replace(",", " ").split() if part]
