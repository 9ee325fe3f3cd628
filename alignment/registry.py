"""Explicit registries: how a lower app calls code of an app above it without importing it.

The app below declares a `Slot` for the one function it needs, at module level; the app above
fills it in its `AppConfig.ready()`; a slot left empty means the app above is not installed,
and the caller falls back (no trends, no links). Every slot is listed in docs/development.md
("Two ways to decouple"), and `tests/test_architecture.py` checks the list is complete.

    # okrs/selectors.py (below)
    trends: Slot[TrendsProvider] = Slot("okrs.selectors.trends")
    provider = trends.provider            # None when nobody filled it

    # dashboards/apps.py (above), in ready()
    okrs_selectors.trends.fill(trends_for)

This replaces module-level setters and `apps.get_model` lookups across apps: the dependency
is visible at both ends, and typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Every slot by name, so the architecture test can check each one is documented.
SLOTS: dict[str, Slot[Any]] = {}


class Slot(Generic[F]):
    """One function an app above provides to the app that declares the slot."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._provider: F | None = None
        SLOTS[name] = self

    def fill(self, provider: F | None) -> None:
        """Set (or, with None, clear) the provider; idempotent, as ready() may run twice."""
        self._provider = provider

    @property
    def provider(self) -> F | None:
        return self._provider

    def __repr__(self) -> str:
        return f"Slot({self.name!r}, provider={self._provider!r})"
