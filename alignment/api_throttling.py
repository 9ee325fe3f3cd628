"""API rate limits: per token (or signed-in user), per anonymous address, per address overall.

Each limit is a fixed window counted in the Django cache with `cache.add` + `cache.incr`,
both atomic in Redis, so the limit holds across web replicas (DRF's own throttles keep a
request history list that two replicas would overwrite). Going over answers 429 with
`Retry-After: <seconds until the window ends>` and the API's error body with code
`rate_limited`. Limits live in `settings.API_RATE_LIMITS` as "<count>/<period>" strings,
e.g. "600/min"; an empty or missing limit means no limit.
"""

from __future__ import annotations

import math
import re
import time
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions, throttling
from rest_framework.request import Request

from alignment.lockout import client_ip
from alignment.models import ApiToken

if TYPE_CHECKING:
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_PERIODS |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$")
_DESCRIBED = {"token": "API token", "user": "account", "anon": "address", "address": "address"}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" -> (600, 60); "100/5min" -> (100, 300)."""
    match = _RATE.match(rate.lower())
    if match is None or match.group(3) not in _PERIODS:
        raise ValueError(f"Rate limit {rate!r} is not like '600/min' (units: s, min, hour, day).")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit]


class RateLimited(exceptions.Throttled):
    default_code = "rate_limited"

    def __init__(self, *, wait: int, limit: int, period: int, scope: str) -> None:
        super().__init__(wait=wait)
        what = _DESCRIBED.get(scope, scope)
        self.detail = exceptions.ErrorDetail(
            f"Too many requests from this {what} (limit {limit} per {period} s); "
            f"retry in {wait} s.",
            code=self.default_code,
        )


class FixedWindowThrottle(throttling.BaseThrottle):
    """Counts requests per identity in windows of the limit's period; raises RateLimited."""

    scope: ClassVar[str]

    def identity(self, request: Request) -> str | None:
        raise NotImplementedError

    def limit(self) -> tuple[int, int] | None:
        rate = getattr(settings, "API_RATE_LIMITS", {}).get(self.scope)
        return parse_rate(rate) if rate else None

    def allow_request(self, request: Request, view: Any) -> bool:
        limit = self.limit()
        ident = self.identity(request) if limit else None
        if limit is None or ident is None:
            return True
        count_max, period = limit
        now = time.time()
        window = int(now // period)
        key = f"ratelimit:{self.scope}:{ident}:{period}:{window}"
        # add() is SET NX and incr() is INCR in Redis: no read-modify-write race between replicas.
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add() and incr()
            cache.add(key, 1, timeout=period + 1)
            count = 1
        if count <= count_max:
            return True
        wait = max(1, math.ceil((window + 1) * period - now))
        raise RateLimited(wait=wait, limit=count_max, period=period, scope=self.scope)

    def wait(self) -> float | None:
        return None


class TokenRateThrottle(FixedWindowThrottle):
    """Per API token; a browser session counts per user under the same limit."""

    scope = "token"

    def identity(self, request: Request) -> str | None:
        if isinstance(request.auth, ApiToken):
            return f"t{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"u{request.user.pk}"
        return None


class AnonRateThrottle(FixedWindowThrottle):
    """Per address, for requests without credentials."""

    scope = "anon"

    def identity(self, request: Request) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return client_ip(request.META)


class AddressRateThrottle(FixedWindowThrottle):
    """Per address across every token and user, so many tokens cannot multiply the limit."""

    scope = "address"

    def identity(self, request: Request) -> str | None:
        return client_ip(request.META)


class EarlyThrottleMixin(_ViewBase):
    """Count a request right after authentication, before the permission check.

    DRF checks throttles after permissions, so requests refused with 401/403 (a guessed or
    revoked token, a scan of workspace slugs) would never count. Here they do: a failed
    authentication leaves the request anonymous, and the per-address limits apply to it.
    """

    def perform_authentication(self, request: Request) -> None:
        try:
            super().perform_authentication(request)
        finally:
            self.check_throttles(request)

    def check_throttles(self, request: Request) -> None:
        if getattr(request, "_alignment_throttled", False):
            return  # DRF's own call, after permissions: this request was already counted
        request._alignment_throttled = True  # type: ignore[attr-defined]
        super().check_throttles(request)


__all__ = [
    "AddressRateThrottle",
    "EarlyThrottleMixin",
    "AnonRateThrottle",
    "RateLimited",
    "TokenRateThrottle",
    "parse_rate",
]
