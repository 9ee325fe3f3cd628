"""Which team a key names, now or before the team's key changed (`TeamKeyAlias`).

Pull requests, commits and deployment settings written before ENG became PLAT still say ENG;
everything we store or compare uses the current key, so the task page, state rules and DORA
rows keep finding the team.
"""

from __future__ import annotations

from collections.abc import Iterable

from alignment.models import Team, TeamKeyAlias
from integrations.keys import key_candidates
from tasks.models import TaskKeyAlias


def old_team_keys(workspace_id: int) -> dict[str, str]:
    """Each key a team of the workspace had before → that team's current key (one query)."""
    return dict(TeamKeyAlias.objects.for_workspace(workspace_id).values_list("key", "team__key"))


def team_key_names(workspace_id: int, current_keys: Iterable[str] | None = None) -> dict[str, str]:
    """Every key naming a team of the workspace → that team's current key.

    Pass the current keys when already read; a current key always wins over an alias."""
    if current_keys is None:
        current_keys = Team.objects.for_workspace(workspace_id).values_list("key", flat=True)
    names = old_team_keys(workspace_id)
    names.update((key, key) for key in current_keys)
    return names


def current_task_key(key: str, names: dict[str, str]) -> str:
    """`ENG-12` → `PLAT-12` once ENG became PLAT; keys of unknown teams come back unchanged."""
    prefix, sep, number = key.partition("-")
    return f"{names.get(prefix.upper(), prefix)}{sep}{number}"


def task_keys_named(
    texts: Iterable[str | None], names: dict[str, str], workspace_id: int | None = None
) -> list[str]:
    """Task keys named in `texts` under their team's current key, in order, once each.

    With `workspace_id`, keys tasks had in another tracker count too (Jira's WEB-2 imported
    as ENG-7, `TaskKeyAlias`): one query for the few candidates whose prefix is no team's."""
    candidates = key_candidates(texts)
    outside = [key for key in candidates if key.partition("-")[0] not in names]
    imported = imported_task_keys(workspace_id, outside) if workspace_id and outside else {}
    found: list[str] = []
    for key in candidates:
        if key.partition("-")[0] in names:  # a team's key (now or before) wins, as on pages
            found.append(current_task_key(key, names))
        elif key in imported:
            found.append(imported[key])
    return list(dict.fromkeys(found))


def imported_task_keys(workspace_id: int, keys: Iterable[str]) -> dict[str, str]:
    """Of `keys`, those a task had in another tracker → that task's key here (one query)."""
    rows = (
        TaskKeyAlias.objects.for_workspace(workspace_id)
        .filter(key__in=list(keys), task__merged_into__isnull=True)
        .values_list("key", "task__team__key", "task__number")
    )
    return {key: f"{team_key}-{number}" for key, team_key, number in rows}


def with_old_spellings(keys: Iterable[str], names: dict[str, str]) -> list[str]:
    """`PLAT-12` and every older spelling of it (`ENG-12`), for links stored before a rename."""
    old_by_current: dict[str, list[str]] = {}
    for name, current in names.items():
        if name != current:
            old_by_current.setdefault(current, []).append(name)
    spelled: list[str] = []
    for key in keys:
        prefix, sep, number = key.partition("-")
        spelled += [key, *(f"{old}{sep}{number}" for old in old_by_current.get(prefix, []))]
    return spelled
