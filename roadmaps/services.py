"""Writes with rules for roadmaps. Keyword-only, actor first, one transaction each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from alignment.audit import audit_by, snapshot
from alignment.errors import CrossWorkspaceLink, FieldErrors, RoleRequired
from alignment.events import publish_on_commit
from alignment.models import Membership, Role, Team
from okrs.models import KeyResult
from roadmaps.errors import DependencyCycle, DependencyExists
from roadmaps.events import (
    KeyResultLinksChanged,
    RoadmapItemChanged,
    RoadmapItemDependencyChanged,
)
from roadmaps.graph import lock_dependency_graph, reaches
from roadmaps.models import (
    KeyResultLink,
    Roadmap,
    RoadmapItem,
    RoadmapItemDependency,
    RoadmapItemKind,
    RoadmapItemStatus,
)
from roadmaps.versioning import save_versioned

ROADMAP_FIELDS = ["name", "description"]
ITEM_FIELDS = [
    "title",
    "kind",
    "description",
    "owner_team",
    "start_date",
    "target_date",
    "status",
]
UNSET: Any = object()


def ensure_same_workspace(actor: Membership, *objects: Model | None, what: str = "") -> None:
    """Refuse any object of another workspace with the same 404 as a missing one."""
    for obj in objects:
        if obj is not None and obj.workspace_id != actor.workspace_id:  # type: ignore[attr-defined]
            raise CrossWorkspaceLink(what=what or str(type(obj)._meta.verbose_name).capitalize())


def _require_member(actor: Membership) -> None:
    if not actor.has_role(Role.MEMBER):
        raise RoleRequired(role="member")


def _clean_name(value: str, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise FieldErrors({field: "This field is required."})
    if len(value) > max_length:
        raise FieldErrors({field: f"Use at most {max_length} characters."})
    return value


@transaction.atomic
def roadmap_create(*, actor: Membership, name: str, description: str = "") -> Roadmap:
    """Create a roadmap; names are unique in the workspace."""
    _require_member(actor)
    name = _clean_name(name, "name", 100)
    if Roadmap.objects.for_workspace(actor.workspace).filter(name__iexact=name).exists():
        raise FieldErrors({"name": f"A roadmap called {name} already exists."})
    roadmap = Roadmap.objects.create(workspace=actor.workspace, name=name, description=description)
    audit_by(
        actor,
        verb="roadmap.created",
        obj=roadmap,
        after=snapshot(roadmap, ROADMAP_FIELDS),
    )
    return roadmap


@transaction.atomic
def roadmap_update(
    *,
    actor: Membership,
    roadmap: Roadmap,
    expected_version: int | None = None,
    name: str | None = None,
    description: str | None = None,
) -> Roadmap:
    """Rename or describe a roadmap; a stale version is refused."""
    _require_member(actor)
    ensure_same_workspace(actor, roadmap)
    before = snapshot(roadmap, ROADMAP_FIELDS)
    if name is not None:
        roadmap.name = _clean_name(name, "name", 100)
        others = Roadmap.objects.for_workspace(actor.workspace).exclude(pk=roadmap.pk)
        if others.filter(name__iexact=roadmap.name).exists():
            raise FieldErrors({"name": f"A roadmap called {roadmap.name} already exists."})
    if description is not None:
        roadmap.description = description
    try:
        with transaction.atomic():
            save_versioned(
                roadmap,
                expected_version=expected_version,
                fields=ROADMAP_FIELDS,
                label=f"Roadmap {roadmap.name}",
            )
    except IntegrityError as exc:
        raise FieldErrors({"name": "Another roadmap already has this name."}) from exc
    audit_by(
        actor,
        verb="roadmap.updated",
        obj=roadmap,
        before=before,
        after=snapshot(roadmap, ROADMAP_FIELDS),
    )
    return roadmap


@transaction.atomic
def roadmap_delete(*, actor: Membership, roadmap: Roadmap) -> None:
    """Delete a roadmap and its items (admin); tasks of its items become unaligned."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    ensure_same_workspace(actor, roadmap)
    item_ids = list(roadmap.items.values_list("pk", flat=True))
    audit_by(
        actor,
        verb="roadmap.deleted",
        obj=roadmap,
        before=snapshot(roadmap, ROADMAP_FIELDS),
    )
    roadmap.delete()
    for item_id in item_ids:
        publish_on_commit(
            RoadmapItemChanged(
                workspace_id=actor.workspace_id, item_id=item_id, actor_id=actor.user_id
            )
        )


def _validate_item(item: RoadmapItem) -> None:
    errors: dict[str, str] = {}
    if not item.title.strip():
        errors["title"] = "This field is required."
    elif len(item.title) > 200:
        errors["title"] = "Use at most 200 characters."
    if item.kind not in RoadmapItemKind.values:
        errors["kind"] = f"Choose one of: {', '.join(RoadmapItemKind.values)}."
    if item.status not in RoadmapItemStatus.values:
        errors["status"] = f"Choose one of: {', '.join(RoadmapItemStatus.values)}."
    if item.start_date and item.target_date and item.target_date < item.start_date:
        errors["target_date"] = "The target date cannot be before the start date."
    if errors:
        raise FieldErrors(errors)


@transaction.atomic
def roadmap_item_create(
    *,
    actor: Membership,
    roadmap: Roadmap,
    title: str,
    kind: str = RoadmapItemKind.EPIC,
    description: str = "",
    owner_team: Team | None = None,
    start_date: date | None = None,
    target_date: date | None = None,
    status: str = RoadmapItemStatus.PLANNED,
) -> RoadmapItem:
    """Put an initiative or epic on a roadmap."""
    _require_member(actor)
    ensure_same_workspace(actor, roadmap, owner_team)
    item = RoadmapItem(
        workspace=actor.workspace,
        roadmap=roadmap,
        title=(title or "").strip(),
        kind=kind,
        description=description,
        owner_team=owner_team,
        start_date=start_date,
        target_date=target_date,
        status=status,
    )
    _validate_item(item)
    item.save()
    audit_by(
        actor,
        verb="roadmap_item.created",
        obj=item,
        after=snapshot(item, ITEM_FIELDS),
    )
    publish_on_commit(
        RoadmapItemChanged(workspace_id=actor.workspace_id, item_id=item.pk, actor_id=actor.user_id)
    )
    return item


@transaction.atomic
def roadmap_item_update(
    *,
    actor: Membership,
    item: RoadmapItem,
    expected_version: int | None = None,
    title: str = UNSET,
    kind: str = UNSET,
    description: str = UNSET,
    owner_team: Team | None = UNSET,
    start_date: date | None = UNSET,
    target_date: date | None = UNSET,
    status: str = UNSET,
) -> RoadmapItem:
    """Change some fields of an item (reschedule, re-own, close); stale versions are refused."""
    _require_member(actor)
    changes: dict[str, Any] = {
        "title": title,
        "kind": kind,
        "description": description,
        "owner_team": owner_team,
        "start_date": start_date,
        "target_date": target_date,
        "status": status,
    }
    changes = {k: v for k, v in changes.items() if v is not UNSET}
    ensure_same_workspace(actor, item, changes.get("owner_team"))
    before = snapshot(item, ITEM_FIELDS)
    for name, value in changes.items():
        setattr(item, name, value.strip() if name == "title" else value)
    _validate_item(item)
    save_versioned(
        item,
        expected_version=expected_version,
        fields=[f if f != "owner_team" else "owner_team_id" for f in changes] or ["title"],
        label=f"Roadmap item {item.title}",
    )
    audit_by(
        actor,
        verb="roadmap_item.updated",
        obj=item,
        before=before,
        after=snapshot(item, ITEM_FIELDS),
    )
    publish_on_commit(
        RoadmapItemChanged(workspace_id=actor.workspace_id, item_id=item.pk, actor_id=actor.user_id)
    )
    return item


@transaction.atomic
def roadmap_item_delete(*, actor: Membership, item: RoadmapItem) -> None:
    """Delete an item; its tasks become unaligned work."""
    _require_member(actor)
    ensure_same_workspace(actor, item)
    audit_by(
        actor,
        verb="roadmap_item.deleted",
        obj=item,
        before=snapshot(item, ITEM_FIELDS),
    )
    item_id = item.pk
    item.delete()
    publish_on_commit(
        RoadmapItemChanged(workspace_id=actor.workspace_id, item_id=item_id, actor_id=actor.user_id)
    )


def _weight(value: Decimal | int | float | str) -> Decimal:
    try:
        weight = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise FieldErrors({"weight": "Must be a number."}) from exc
    if not weight.is_finite() or weight <= 0 or weight >= Decimal("10000"):
        raise FieldErrors({"weight": "Must be greater than 0 and below 10000."})
    return weight.quantize(Decimal("0.01"))


@transaction.atomic
def roadmap_item_link_key_result(
    *,
    actor: Membership,
    item: RoadmapItem,
    key_result: KeyResult,
    weight: Decimal | int | float | str = Decimal("1"),
) -> KeyResultLink:
    """Say that `item` moves `key_result` (or change the link's weight when it exists)."""
    _require_member(actor)
    ensure_same_workspace(actor, item)
    ensure_same_workspace(actor, key_result, what="The key result")
    link, created = KeyResultLink.objects.update_or_create(
        item=item,
        key_result=key_result,
        defaults={"weight": _weight(weight)},
        create_defaults={"weight": _weight(weight), "workspace": actor.workspace},
    )
    audit_by(
        actor,
        verb="roadmap_item.kr_linked" if created else "roadmap_item.kr_link_weighted",
        obj=item,
        after={"key_result": key_result.pk, "weight": str(link.weight)},
    )
    publish_on_commit(
        KeyResultLinksChanged(
            workspace_id=actor.workspace_id,
            item_id=item.pk,
            key_result_id=key_result.pk,
            actor_id=actor.user_id,
        )
    )
    return link


@transaction.atomic
def roadmap_item_unlink_key_result(
    *, actor: Membership, item: RoadmapItem, key_result: KeyResult
) -> None:
    """Remove the link between an item and a key result (404 when there is none)."""
    _require_member(actor)
    ensure_same_workspace(actor, item)
    ensure_same_workspace(actor, key_result, what="The key result")
    deleted, _ = KeyResultLink.objects.filter(item=item, key_result=key_result).delete()
    if not deleted:
        raise CrossWorkspaceLink(what="That key result link")
    audit_by(
        actor,
        verb="roadmap_item.kr_unlinked",
        obj=item,
        before={"key_result": key_result.pk},
    )
    publish_on_commit(
        KeyResultLinksChanged(
            workspace_id=actor.workspace_id,
            item_id=item.pk,
            key_result_id=key_result.pk,
            actor_id=actor.user_id,
        )
    )


@transaction.atomic
def roadmap_item_dependency_add(
    *, actor: Membership, blocking: RoadmapItem, blocked: RoadmapItem
) -> RoadmapItemDependency:
    """`blocking` must finish before `blocked`; refused when it would close a cycle."""
    _require_member(actor)
    ensure_same_workspace(actor, blocking, blocked)
    if blocking.pk == blocked.pk:
        raise DependencyCycle(blocked=blocked.title, blocking=blocking.title)
    lock_dependency_graph(actor.workspace_id)
    if RoadmapItemDependency.objects.filter(blocking=blocking, blocked=blocked).exists():
        raise DependencyExists(blocking=blocking.title, blocked=blocked.title)
    if reaches(
        RoadmapItemDependency,
        workspace_id=actor.workspace_id,
        start_id=blocked.pk,
        goal_id=blocking.pk,
    ):
        raise DependencyCycle(blocked=blocked.title, blocking=blocking.title)
    dependency = RoadmapItemDependency.objects.create(
        workspace=actor.workspace, blocking=blocking, blocked=blocked
    )
    audit_by(
        actor,
        verb="roadmap_item.dependency_added",
        obj=blocked,
        after={"blocking": blocking.pk},
    )
    publish_on_commit(
        RoadmapItemDependencyChanged(
            workspace_id=actor.workspace_id,
            blocking_id=blocking.pk,
            blocked_id=blocked.pk,
            verb="added",
            actor_id=actor.user_id,
        )
    )
    return dependency


@transaction.atomic
def roadmap_item_dependency_remove(*, actor: Membership, dependency: RoadmapItemDependency) -> None:
    """Remove a dependency between two items."""
    _require_member(actor)
    ensure_same_workspace(actor, dependency)
    audit_by(
        actor,
        verb="roadmap_item.dependency_removed",
        obj=dependency,
        before={"blocking": dependency.blocking_id, "blocked": dependency.blocked_id},
    )
    dependency.delete()
    publish_on_commit(
        RoadmapItemDependencyChanged(
            workspace_id=actor.workspace_id,
            blocking_id=dependency.blocking_id,
            blocked_id=dependency.blocked_id,
            verb="removed",
            actor_id=actor.user_id,
        )
    )
