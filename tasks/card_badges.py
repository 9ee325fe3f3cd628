"""Badges other apps put on board cards (e.g. CI state), as an explicit registry.

The tasks app may not import the apps above it; they register a provider in their
`AppConfig.ready()`. A provider answers for a whole page of cards at once (one query at most),
never card by card:

    card_badges.register(ci_card_badges)  # (workspace_id, task keys) → {key: safe HTML}

A board asks for up to 460 keys at once: filter with `task_key__in_texts=Texts(keys)`
(alignment.lookups: one parameter, not one per key), and keep the HTML small and escaped
(`format_html`). Each badge lands at the end of the card's `card-meta` row, in registration
order (docs/development.md, "Hot paths").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.safestring import SafeString, mark_safe

BadgeProvider = Callable[[int, Sequence[str]], dict[str, SafeString]]
_providers: list[BadgeProvider] = []


def register(provider: BadgeProvider) -> None:
    """Add a provider (idempotent: ready() may run twice in tests)."""
    if provider not in _providers:
        _providers.append(provider)


def badges_for(workspace_id: int, keys: Sequence[str]) -> dict[str, SafeString]:
    """Task key → the badges every provider gives it, in registration order."""
    if not keys:
        return {}
    merged: dict[str, list[str]] = {}
    for provider in _providers:
        for key, html in provider(workspace_id, keys).items():
            merged.setdefault(key, []).append(html)
    return {key: mark_safe("".join(parts)) for key, parts in merged.items()}
