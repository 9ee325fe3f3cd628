"""Writes with rules for roadmaps. Keyword-only, actor first, one transaction each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from alignment.audit import audit_by, audit_change, audit_created, audited_delete, snapshot
from alignment.dates import range_error
from alignment.errors import CrossWorkspaceLink, FieldErrors, RoleRequired
from alignment.events import publish_on_commit
from alignment.graph import dependency_added, dependency_remove, lock_dependency_graph, reaches
from alignment.guards import ensure_same_workspace, require_member
from alignment.models import Membership, Role, Team
from alignment.versioning import save_versioned
from okrs.models import KeyResult
from roadmaps.errors import DependencyCycle, DependencyExists
from roadmaps.events import (
    KeyResultLinksChanged,
    RoadmapItemChanged,
    RoadmapItemDependencyChanged,
)
from roadmaps.models import (
    KeyResultLink,
    Roadmap,
    RoadmapItem,
    RoadmapItemDependency,
    RoadmapItemKind,
    RoadmapItemStatus,
)

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
    require_member(actor)
    name = _clean_name(name, "name", 100)
    if Roadmap.objects.for_workspace(actor.workspace).filter(name__iexact=name).exists():
        raise FieldErrors({"name": f"A roadmap called {name} already exists."})
    roadmap = Roadmap.objects.create(workspace=actor.workspace, name=name, description=description)
    audit_created(actor, verb="roadmap.created", obj=roadmap, fields=ROADMAP_FIELDS)
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
    require_member(actor)
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
    audit_change(actor, verb="roadmap.updated", obj=roadmap, before=before, fields=ROADMAP_FIELDS)
    return roadmap


@transaction.atomic
def roadmap_delete(*, actor: Membership, roadmap: Roadmap) -> None:
    """Delete a roadmap and its items (admin); tasks of its items become unaligned."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    ensure_same_workspace(actor, roadmap)
    item_ids = list(roadmap.items.values_list("pk", flat=True))
    audited_delete(actor, verb="roadmap.deleted", obj=roadmap, fields=ROADMAP_FIELDS)
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
    if bad_range := range_error(item.start_date, item.target_date, end_name="target"):
        errors["target_date"] = bad_range
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
    require_member(actor)
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
    audit_created(actor, verb="roadmap_item.created", obj=item, fields=ITEM_FIELDS)
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
    require_member(actor)
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
    audit_change(actor, verb="roadmap_item.updated", obj=item, before=before, fields=ITEM_FIELDS)
    publish_on_commit(
        RoadmapItemChanged(workspace_id=actor.workspace_id, item_id=item.pk, actor_id=actor.user_id)
    )
    return item


@transaction.atomic
def roadmap_item_delete(*, actor: Membership, item: RoadmapItem) -> None:
    """Delete an item; its tasks become unaligned work."""
    require_member(actor)
    ensure_same_workspace(actor, item)
    item_id = item.pk  # delete() clears it
    audited_delete(actor, verb="roadmap_item.deleted", obj=item, fields=ITEM_FIELDS)
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
    require_member(actor)
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
    require_member(actor)
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
    require_member(actor)
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
    dependency_added(
        actor,
        event=RoadmapItemDependencyChanged,
        verb="roadmap_item.dependency_added",
        blocking=blocking,
        blocked=blocked,
        after={"blocking": blocking.pk},
    )
    return dependency


@transaction.atomic
def roadmap_item_dependency_remove(*, actor: Membership, dependency: RoadmapItemDependency) -> None:
    """Remove a dependency between two items."""
    require_member(actor)
    ensure_same_workspace(actor, dependency)
    dependency_remove(
        actor,
        event=RoadmapItemDependencyChanged,
        verb="roadmap_item.dependency_removed",
        dependency=dependency,
    )
