"""Finding task keys (ENG-123) in pull request titles, branch names and commit messages."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

# A team key is 2–10 capitals or digits starting with a letter (alignment.models.Team.key).
# Branches are often lower-case ("eng-12-fix-login"), so matching ignores case and the key is
# upper-cased; the lookarounds keep "xENG-1", "ENG-1a" and "ENG-1.2" from matching.
_KEY = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})(?![A-Za-z0-9])")


def extract_task_keys(texts: Iterable[str | None], team_keys: Collection[str]) -> list[str]:
    """Task keys named in `texts`, in order of first mention, once each.

    Only keys of the given teams count: "UTF-8" or "sha-256" are not task keys unless a team
    is called UTF or SHA. Leading zeros are dropped (ENG-012 is ENG-12); number 0 is no task.
    """
    wanted = {key.upper() for key in team_keys}
    return [key for key in key_candidates(texts) if key.partition("-")[0] in wanted]


def key_candidates(texts: Iterable[str | None]) -> list[str]:
    """Everything shaped like a key in `texts` (`ABC-12`, upper-cased, no leading zeros), in
    order of first mention, once each; callers keep the ones that name something."""
    found: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for prefix, number in _KEY.findall(text):
            n = int(number)
            if n > 0:
                found.setdefault(f"{prefix.upper()}-{n}", None)
    return list(found)


def branch_name(ref: str | None) -> str:
    """`refs/heads/eng-12-login` → `eng-12-login`; tags and other refs give ""."""
    if not ref:
        return ""
    prefix = "refs/heads/"
    return ref[len(prefix) :] if ref.startswith(prefix) else ""
