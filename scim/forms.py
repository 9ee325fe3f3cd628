"""Input shape of the provisioning settings page. No writes happen here."""

from __future__ import annotations

from django import forms


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Name it after the identity provider, e.g. “Okta” or “Entra ID”.",
    )
