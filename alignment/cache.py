"""Redis as a cache that fails open: an outage slows pages down, it never loses a write.

Everything the app keeps in the cache can be recomputed or is a hint: unread badges, "a job
is already queued" flags, webhook listener sets, rate-limit windows, import progress. The
database holds the truth (stale rollup nodes are `RollupPending` rows, messages are outbox
rows, both drained by beat sweeps). So when Redis is unreachable a read is a miss, a write
is dropped, and `add` says "not added" (a flag owner elsewhere; the sweep catches up), all
logged, instead of a 500 after the user's change has committed.

Only connection failures and timeouts are swallowed; anything else (a bad key, a wrong
type for incr) still raises. Pair it with short socket timeouts (settings) so a hanging
Redis cannot hold requests either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")
OUTAGE = (RedisConnectionError, RedisTimeoutError)


class ResilientRedisCache(RedisCache):
    def _or(self, fallback: T, call: Callable[[], T], operation: str) -> T:
        try:
            return call()
        except OUTAGE as exc:
            logger.warning("Cache %s failed (%s); carrying on without the cache", operation, exc)
            return fallback

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._or(False, lambda: RedisCache.add(self, key, value, timeout, version), "add")

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._or(default, lambda: RedisCache.get(self, key, default, version), "get")

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._or(None, lambda: RedisCache.set(self, key, value, timeout, version), "set")

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._or(False, lambda: RedisCache.touch(self, key, timeout, version), "touch")

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._or(False, lambda: RedisCache.delete(self, key, version), "delete")

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._or({}, lambda: RedisCache.get_many(self, keys, version), "get_many")

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._or(False, lambda: RedisCache.has_key(self, key, version), "has_key")

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return self._or([], lambda: RedisCache.set_many(self, data, timeout, version), "set_many")

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._or(None, lambda: RedisCache.delete_many(self, keys, version), "delete_many")

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        # Unreachable reads as "no such key", which callers of incr() already handle.
        try:
            return RedisCache.incr(self, key, delta, version)
        except OUTAGE as exc:
            logger.warning("Cache incr failed (%s); carrying on without the cache", exc)
            raise ValueError(f"Key {key!r} not found (cache unavailable).") from exc
