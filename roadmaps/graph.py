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
