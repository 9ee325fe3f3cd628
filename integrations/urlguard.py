"""Outbound webhook URLs must point at the public internet, not at our own network.

An admin of any workspace (anyone can create one) chooses webhook URLs. Without this check a
subscription to https://169.254.169.254/… or https://10.0.0.5/… turns the worker into a probe
of the internal network whose answers show up in the delivery log. Addresses are resolved and
every one must be global; WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (on under DEBUG, and in tests that
run receivers on localhost) lifts the rule.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class BlockedDestination(ValueError):
    """The URL's host is missing, unresolvable or not on the public internet."""


def check_public_url(url: str) -> None:
    """Raise BlockedDestination unless every address the URL's host resolves to is global."""
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise BlockedDestination("The URL has no host name.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as exc:
        raise BlockedDestination(f"{host} cannot be resolved.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise BlockedDestination(
                f"{host} resolves to {address}, a private or reserved address; webhooks go "
                "only to the public internet."
            )
