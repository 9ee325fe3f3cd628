"""Outbound webhook URLs must point at the public internet, not at our own network.

An admin of any workspace (anyone can create one) chooses webhook URLs. Without this check a
subscription to https://169.254.169.254/… or https://10.0.0.5/… turns the worker into a probe
of the internal network whose answers show up in the delivery log. Addresses are resolved and
every one must be global, and the request then goes to the checked address
(`pin_public_url`); WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (on under DEBUG, and in tests that
run receivers on localhost) lifts the rule.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


class BlockedDestination(ValueError):
    """The URL's host is missing, unresolvable or not on the public internet."""


@dataclass(frozen=True)
class PinnedTarget:
    """Where to send a request so that it reaches the very address that was checked.

    Between the check and the connection a hostile DNS server can change its answer to a
    private address (DNS rebinding). Connecting to the checked IP, with the original name as
    the Host header and, for HTTPS, as the TLS server name (so the certificate is still
    verified against the name), closes that window.
    """

    url: str
    host_header: str | None = None
    sni_hostname: str | None = None


def _is_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global


def _checked_addresses(url: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise BlockedDestination("The URL has no host name.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as exc:
        raise BlockedDestination(f"{host} cannot be resolved.") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not _is_allowed(address):
            raise BlockedDestination(
                f"{host} resolves to {address}, a private or reserved address; webhooks go "
                "only to the public internet."
            )
    if not addresses:
        raise BlockedDestination(f"{host} cannot be resolved.")
    return addresses


def check_public_url(url: str) -> None:
    """Raise BlockedDestination unless every address the URL's host resolves to is global."""
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return
    _checked_addresses(url)


def pin_public_url(url: str) -> PinnedTarget:
    """Check `url` like `check_public_url` and return a target bound to a checked address."""
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return PinnedTarget(url=url)
    address = _checked_addresses(url)[0]
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    original = parts.netloc.rsplit("@", 1)[-1]  # the Host header never carries credentials
    return PinnedTarget(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host_header=original,
        sni_hostname=host if parts.scheme == "https" else None,
    )
