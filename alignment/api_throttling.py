"""API rate limits: per token (or signed-in user), per anonymous address, per address overall.

Each limit is a fixed window counted in the Django cache (on Redis, every limit of a request
in one pipelined round trip: `count_in_windows`; a request with a bearer token known to the
process counts them in the round trip that reads its cached authentication,
`count_with_token_read`), atomically, so the limit holds across web
replicas (DRF's own throttles keep a
request history list that two replicas would overwrite). Going over answers 429 with
`Retry-After: <seconds until the window ends>` and the API's error body with code
`rate_limited`. Limits live in `settings.API_RATE_LIMITS` as "<count>/<period>" strings,
e.g. "600/min"; an empty or missing limit means no limit.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


def token_identity(token_id: int) -> str:
    return f"t{token_id}"


def _token_identity(request: Request) -> str | None:
    """Per API token; a browser session counts per user under the same limit."""
    if isinstance(request.auth, ApiToken):
        return token_identity(request.auth.pk)
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
    """Add one to each (key, seconds to live) counter and return the new counts (one round
    trip on Redis: `count_and_read`)."""
    return count_and_read(keys, [])[0]


def count_and_read(
    keys: list[tuple[str, int]], reads: list[str]
) -> tuple[list[int], dict[str, Any]]:
    """Add one to each (key, seconds to live) counter, and read the cache entries `reads` (as
    `cache.get_many` does): the new counts and the entries found.

    On Redis this is one round trip for all of them: a pipeline of `MGET reads`, then
    `SET key 0 EX ttl NX` and `INCR key` per counter (both atomic, so replicas never race on a
    read-modify-write). Other caches (local memory in the embedded setup) use get_many and
    add + incr. A Redis outage counts nothing and finds nothing (limits fail open, like the
    rest of the cache: alignment/cache.py)."""
    backend = caches["default"]
    if not keys and not reads:
        return [], {}
    if isinstance(backend, RedisCache):
        full = [backend.make_and_validate_key(key) for key, _ in keys]
        full_reads = [backend.make_and_validate_key(key) for key in reads]
        try:
            client = backend._cache.get_client(None, write=True)
            pipe = client.pipeline(transaction=False)
            if reads:
                pipe.mget(full_reads)
            for key, (_, ttl) in zip(full, keys, strict=True):
                pipe.set(key, 0, ex=ttl, nx=True)
                pipe.incr(key)
            replies = pipe.execute()
        except OUTAGE as exc:
            logger.warning("Rate limits not counted (%s); carrying on without them", exc)
            return [0] * len(keys), {}
        found: dict[str, Any] = {}
        if reads:
            # Decoded as `get_many` does: by the serializer that wrote them.
            loads = backend._cache._serializer.loads  # type: ignore[attr-defined]
            values, replies = replies[0], replies[1:]
            found = {k: loads(v) for k, v in zip(reads, values, strict=True) if v is not None}
        return [int(n) for n in replies[1::2]], found
    found = backend.get_many(reads) if reads else {}
    counts = []
    for key, ttl in keys:
        backend.add(key, 0, timeout=ttl)
        try:
            counts.append(backend.incr(key))
        except ValueError:  # the key expired between add() and incr()
            backend.add(key, 1, timeout=ttl)
            counts.append(1)
    return counts, found


@dataclass(frozen=True)
class Window:
    """One limit's current fixed window for one identity: counted under `key`."""

    scope: str
    key: str
    limit: int
    period: int
    index: int


def _windows(identities: Iterable[tuple[str, str | None]], now: float) -> list[Window]:
    rates = getattr(settings, "API_RATE_LIMITS", {})
    windows = []
    for scope, ident in identities:
        rate = rates.get(scope)
        if not rate or ident is None:
            continue
        limit, period = parse_rate(rate)
        index = int(now // period)
        key = f"ratelimit:{scope}:{ident}:{period}:{index}"
        windows.append(Window(scope, key, limit, period, index))
    return windows


# Set by `count_with_token_read` on the request: (now, {window: count}) already counted.
_PRECOUNTED = "_alignment_precounted"


def count_with_token_read(request: Request, token_id: int, reads: list[str]) -> dict[str, Any]:
    """Read the cache entries `reads` (the token's cached authentication) and, in the same
    round trip, count the windows the request will be counted in once it is authenticated as
    token `token_id` (per token and per address): `ApiRateThrottle` then counts only what
    these did not (nothing, on an authenticated request). Returns the entries found. If the
    authentication then fails, call `uncount_token(request)`."""
    now = time.time()
    identities = [("token", token_identity(token_id)), ("address", _address_identity(request))]
    windows = _windows(identities, now)
    counts, found = count_and_read([(w.key, w.period + 1) for w in windows], reads)
    setattr(request, _PRECOUNTED, (now, dict(zip(windows, counts, strict=True))))
    return found


def uncount_token(request: Request) -> None:
    """Take back the per-token count of `count_with_token_read` from a request whose token
    was refused: a refused request counts per address (and as anonymous), as before."""
    now, counted = getattr(request, _PRECOUNTED, (0.0, {}))
    for window in [w for w in counted if w.scope == "token"]:
        del counted[window]
        # Expired or unreachable: nothing to take back.
        with contextlib.suppress(ValueError):
            caches["default"].decr(window.key)


class ApiRateThrottle(throttling.BaseThrottle):
    """Every limit of `settings.API_RATE_LIMITS` that applies to the request (per token or
    user, per anonymous address, per address), counted together in fixed windows of each
    limit's period: one cache round trip per request, none when the bearer token's
    authentication already counted them with its cache read. Raises RateLimited."""

    def allow_request(self, request: Request, view: Any) -> bool:
        now, counted = getattr(request, _PRECOUNTED, (None, {}))
        if now is None:
            now = time.time()
        windows = _windows(((scope, identity(request)) for scope, identity in SCOPES), now)
        # The same `now` makes a window counted with the token's read equal to this one.
        missing = [w for w in windows if w not in counted]
        counts = dict(counted)
        if missing:
            fresh = count_in_windows([(w.key, w.period + 1) for w in missing])
            counts.update(zip(missing, fresh, strict=True))
        for window in windows:
            if counts[window] > window.limit:
                wait = max(1, math.ceil((window.index + 1) * window.period - now))
                raise RateLimited(
                    wait=wait, limit=window.limit, period=window.period, scope=window.scope
                )
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
    "count_and_read",
    "count_in_windows",
    "count_with_token_read",
    "uncount_token",
    "parse_rate",
]
