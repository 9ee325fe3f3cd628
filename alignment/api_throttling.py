"""API rate limits: per token (or signed-in user), per anonymous address, per address overall.

Each limit is a fixed window counted in the Django cache (on Redis, every limit of a request
in one pipelined round trip: `count_in_windows`), atomically, so the limit holds across web
replicas (DRF's own throttles keep a
request history list that two replicas would overwrite). Going over answers 429 with
`Retry-After: <seconds until the window ends>` and the API's error body with code
`rate_limited`. Limits live in `settings.API_RATE_LIMITS` as "<count>/<period>" strings,
e.g. "600/min"; an empty or missing limit means no limit.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import exceptions, throttling
from rest_framework.request import Request

from alignment.cache import OUTAGE
from alignment.lockout import client_ip
from alignment.models import ApiToken

if TYPE_CHECKING:
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object

logger = logging.getLogger(__name__)
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


def _token_identity(request: Request) -> str | None:
    """Per API token; a browser session counts per user under the same limit."""
    if isinstance(request.auth, ApiToken):
        return f"t{request.auth.pk}"
    if request.user and request.user.is_authenticated:
        return f"u{request.user.pk}"
    return None


def _anon_identity(request: Request) -> str | None:
    """Per address, for requests without credentials."""
    if request.user and request.user.is_authenticated:
        return None
    return client_ip(request.META)


def _address_identity(request: Request) -> str | None:
    """Per address across every token and user, so many tokens cannot multiply the limit."""
    return client_ip(request.META)


# The limits in the order a refusal names them: the first one over its count wins.
SCOPES: tuple[tuple[str, Callable[[Request], str | None]], ...] = (
    ("token", _token_identity),
    ("anon", _anon_identity),
    ("address", _address_identity),
)


def count_in_windows(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each (key, seconds to live) counter and return the new counts.

    On Redis this is one round trip for all of them: a pipeline of `SET key 0 EX ttl NX` and
    `INCR key` per counter (both atomic, so replicas never race on a read-modify-write). Other
    caches (local memory in the embedded setup) use add + incr. A Redis outage counts nothing
    (limits fail open, like the rest of the cache: alignment/cache.py)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full = [backend.make_and_validate_key(key) for key, _ in keys]
        try:
            pipe = backend._cache.get_client(full[0], write=True).pipeline(transaction=False)
            for key, (_, ttl) in zip(full, keys, strict=True):
                pipe.set(key, 0, ex=ttl, nx=True)
                pipe.incr(key)
            replies = pipe.execute()
        except OUTAGE as exc:
            logger.warning("Rate limits not counted (%s); carrying on without them", exc)
            return [0] * len(keys)
        return [int(n) for n in replies[1::2]]
    counts = []
    for key, ttl in keys:
        backend.add(key, 0, timeout=ttl)
        try:
            counts.append(backend.incr(key))
        except ValueError:  # the key expired between add() and incr()
            backend.add(key, 1, timeout=ttl)
            counts.append(1)
    return counts


class ApiRateThrottle(throttling.BaseThrottle):
    """Every limit of `settings.API_RATE_LIMITS` that applies to the request (per token or
    user, per anonymous address, per address), counted together in fixed windows of each
    limit's period: one cache round trip per request. Raises RateLimited."""

    def allow_request(self, request: Request, view: Any) -> bool:
        rates = getattr(settings, "API_RATE_LIMITS", {})
        now = time.time()
        windows = []
        for scope, identity in SCOPES:
            rate = rates.get(scope)
            ident = identity(request) if rate else None
            if not rate or ident is None:
                continue
            count_max, period = parse_rate(rate)
            window = int(now // period)
            key = f"ratelimit:{scope}:{ident}:{period}:{window}"
            windows.append((scope, key, count_max, period, window))
        if not windows:
            return True
        counts = count_in_windows([(key, period + 1) for _, key, _, period, _ in windows])
        for (scope, _, count_max, period, window), count in zip(windows, counts, strict=True):
            if count > count_max:
                wait = max(1, math.ceil((window + 1) * period - now))
                raise RateLimited(wait=wait, limit=count_max, period=period, scope=scope)
        return True

    def wait(self) -> float | None:
        return None


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
    "ApiRateThrottle",
    "EarlyThrottleMixin",
    "RateLimited",
    "count_in_windows",
    "parse_rate",
]
