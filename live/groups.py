"""Channel-layer group names: every one carries the workspace id, so no two tenants share one.

Group names allow only ASCII letters, digits, '-', '_' and '.', under 100 characters.
"""

from __future__ import annotations


def board(workspace_id: int, team_id: int) -> str:
    return f"live.w{workspace_id}.board.{team_id}"


def backlog(workspace_id: int, team_id: int) -> str:
    return f"live.w{workspace_id}.backlog.{team_id}"


def task(workspace_id: int, task_id: int) -> str:
    return f"live.w{workspace_id}.task.{task_id}"


def person(workspace_id: int, user_id: int) -> str:
    return f"live.w{workspace_id}.user.{user_id}"


def dashboards(workspace_id: int) -> str:
    return f"live.w{workspace_id}.dashboards"


def presence(workspace_id: int, kind: str, object_id: int) -> str:
    """Who is looking at one object (a board, a document): any topic kind may have one."""
    return f"live.w{workspace_id}.presence.{kind}.{object_id}"
