"""The webhook URL an admin copies into the provider's settings."""

from __future__ import annotations

import os

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from integrations.models import Integration, Provider


def hook_url(integration: Integration, request: HttpRequest | None = None) -> str:
    """The URL to paste into the provider's webhook settings: on SITE_URL when it is set
    (`make run PORT=` sets it), else on the host and port this page was served from."""
    name = {
        Provider.GITHUB: "hook_github",
        Provider.GITLAB: "hook_gitlab",
        Provider.SLACK: "hook_slack",
    }.get(Provider(integration.provider))
    if name is None:
        return ""
    path = reverse(name, kwargs={"integration_uuid": integration.uuid})
    if request is not None and not site_url_configured():
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def site_url_configured() -> bool:
    """SITE_URL set in the environment or to anything but the settings' fallback."""
    return "SITE_URL" in os.environ or settings.SITE_URL.rstrip("/") != settings.DEFAULT_SITE_URL
