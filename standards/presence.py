"""Does any team of a workspace follow a standard? A cached per-workspace flag.

Every board and backlog page asks it (standards/badges.py) and most workspaces answer "no":
caching the answer keeps those pages at their query budget (docs/development.md, "Hot paths").
Adoption.save()/delete() forget the flag, at once and again on commit (a reader between the
write and the commit may have cached the old answer). Deletes by cascade or queryset leave a
stale "yes", which only costs the full check; a stale "no" cannot outlive FLAG_SECONDS.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

FLAG_SECONDS = 300


def follows_any(workspace_id: int) -> bool:
    """True when some team of the workspace has adopted a standard (waived or not)."""
    flag = cache.get(_key(workspace_id))
    if flag is None:
        from standards.models import Adoption  # the model forgets this flag: import late

        flag = Adoption.objects.filter(workspace_id=workspace_id).exists()
        cache.set(_key(workspace_id), flag, FLAG_SECONDS)
    return bool(flag)


def forget(workspace_id: int) -> None:
    cache.delete(_key(workspace_id))
    transaction.on_commit(lambda: cache.delete(_key(workspace_id)))


def _key(workspace_id: int) -> str:
    return f"standards:follows-any:{workspace_id}"
