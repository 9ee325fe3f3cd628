"""Cycle checks for dependency edges (`blocking` → `blocked`), shared by items and tasks."""

from __future__ import annotations

from django.db.models import Model

from alignment.models import Workspace


def lock_dependency_graph(workspace_id: int) -> None:
    """Serialize dependency writes of one workspace, so two concurrent additions cannot
    each pass the cycle check and together close a cycle (a no-op lock on SQLite)."""
    Workspace.objects.select_for_update().filter(pk=workspace_id).values_list("pk").first()


def reaches(edge_model: type[Model], *, workspace_id: int, start_id: int, goal_id: int) -> bool:
    """True when `goal` can be reached from `start` along blocking → blocked edges.

    Breadth first, one query per level of the graph, never revisiting a node.
    """
    seen = {start_id}
    frontier = {start_id}
    while frontier:
        if goal_id in frontier:
            return True
        following = set(
            edge_model._default_manager.filter(
                workspace_id=workspace_id, blocking_id__in=frontier
            ).values_list("blocked_id", flat=True)
        )
        frontier = following - seen
        seen |= frontier
    return False


def path_between(
    edge_model: type[Model], *, workspace_id: int, start_id: int, goal_id: int
) -> list[int] | None:
    """The ids of one shortest path from `start` to `goal` along blocking → blocked edges
    (both ends included), or None when `goal` cannot be reached.

    Same walk as `reaches` (one query per level), remembering where each node was reached
    from, so a refused cycle can be shown step by step instead of only named.
    """
    came_from: dict[int, int | None] = {start_id: None}
    frontier = {start_id}
    while frontier:
        if goal_id in frontier:
            path = [goal_id]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            return path[::-1]
        edges = edge_model._default_manager.filter(
            workspace_id=workspace_id, blocking_id__in=frontier
        ).values_list("blocking_id", "blocked_id")
        following: set[int] = set()
        for blocking_id, blocked_id in sorted(edges):
            if blocked_id not in came_from:
                came_from[blocked_id] = blocking_id
                following.add(blocked_id)
        frontier = following
    return None
