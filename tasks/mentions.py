"""@mentions in comments: `@priya` (the e-mail's local part) or `@priya@acme.example`."""

from __future__ import annotations

import re
from collections import defaultdict

from alignment.models import Membership, Workspace

MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def mention_handles(text: str) -> list[str]:
    """The handles written after @, lower-cased, in order, without trailing punctuation."""
    handles = []
    for raw in MENTION.findall(text or ""):
        handle = raw.rstrip(".").lower()
        if handle and handle not in handles:
            handles.append(handle)
    return handles


def resolve_mentions(workspace: Workspace, text: str) -> list[int]:
    """User ids of the workspace members mentioned in `text`.

    A full e-mail matches exactly; a bare handle matches the local part of exactly one
    member's e-mail (ambiguous handles mention nobody rather than the wrong person).
    """
    handles = mention_handles(text)
    if not handles:
        return []
    members = Membership.objects.for_workspace(workspace).values_list("user_id", "user__email")
    by_email: dict[str, int] = {}
    by_local: defaultdict[str, list[int]] = defaultdict(list)
    for member_id, email in members:
        by_email[email.lower()] = member_id
        by_local[email.lower().split("@", 1)[0]].append(member_id)
    found: list[int] = []
    for handle in handles:
        user_id: int | None
        if "@" in handle:
            user_id = by_email.get(handle)
        else:
            candidates = by_local.get(handle, [])
            user_id = candidates[0] if len(candidates) == 1 else None
        if user_id is not None and user_id not in found:
            found.append(user_id)
    return found
