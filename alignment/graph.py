"""Cycle checks for dependency edges (`blocking` → `blocked`): one walk for any edge model
(roadmap item and task dependencies), so both refuse a cycle the same way."""

from __future__ import annotations

from typing import Protocol

from django.db.models import Model

from alignment.audit import audit_by
from alignment.events import publish_on_commit
from alignment.models import Membership, Workspace


class DependencyEvent(Protocol):
    """The event class an app publishes when one of its dependency edges changes."""

    def __call__(
        self, *, workspace_id: int, blocking_id: int, blocked_id: int, verb: str, actor_id: int
    ) -> object: ...


def lock_dependency_graph(workspace_id: int) -> None:
    """Serialize dependency writes of one workspace, so two concurrent additions cannot
    each pass the cycle check and together close a cycle (a no-op lock on SQLite)."""
    Workspace.objects.select_for_update().filter(pk=workspace_id).values_list("pk").first()


def path_between(
    edge_model: type[Model], *, workspace_id: int, start_id: int, goal_id: int
) -> list[int] | None:
    """The ids of one shortest path from `start` to `goal` along blocking → blocked edges
    (both ends included), or None when `goal` cannot be reached.

    Breadth first, one query per level of the graph, never revisiting a node; remembering
    where each node was reached from, so a refused cycle can be shown step by step instead of
    only named.
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


def reaches(edge_model: type[Model], *, workspace_id: int, start_id: int, goal_id: int) -> bool:
    """True when `goal` can be reached from `start` along blocking → blocked edges."""
    path = path_between(edge_model, workspace_id=workspace_id, start_id=start_id, goal_id=goal_id)
    return path is not None


def dependency_added(
    actor: Membership,
    *,
    event: DependencyEvent,
    verb: str,
    blocking: Model,
    blocked: Model,
    after: dict[str, object],
) -> None:
    """Audit and publish a new `blocking` → `blocked` edge the caller checked and saved."""
    audit_by(actor, verb=verb, obj=blocked, after=after)
    publish_on_commit(
        event(
            workspace_id=actor.workspace_id,
            blocking_id=blocking.pk,
            blocked_id=blocked.pk,
            verb="added",
            actor_id=actor.user_id,
        )
    )


def dependency_remove(
    actor: Membership, *, event: DependencyEvent, verb: str, dependency: Model
) -> None:
    """Audit, delete and publish the removal of one dependency edge, the same for every app."""
    # Read by field name: both edge models have `blocking` and `blocked` foreign keys.
    blocking_id: int = dependency.serializable_value("blocking")
    blocked_id: int = dependency.serializable_value("blocked")
    audit_by(
        actor, verb=verb, obj=dependency, before={"blocking": blocking_id, "blocked": blocked_id}
    )
    dependency.delete()
    publish_on_commit(
        event(
            workspace_id=actor.workspace_id,
            blocking_id=blocking_id,
            blocked_id=blocked_id,
            verb="removed",
            actor_id=actor.user_id,
        )
    )
