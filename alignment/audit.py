"""Writing the audit log. Services call these inside their transaction: `audit_created`,
`audit_change` and `audited_delete` for the usual create/edit/delete, `audit_by` otherwise."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from alignment.models import AuditEvent, Membership, User, Workspace


def snapshot(obj: Model, fields: list[str]) -> dict[str, Any]:
    """A JSON-safe picture of some fields, for the audit log's before/after."""
    result: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, Model):
            value = value.pk
        elif value is not None and not isinstance(value, str | int | float | bool | list | dict):
            value = str(value)
        result[name] = value
    return result


def audit_record(
    *,
    workspace: Workspace,
    actor: User | None,
    verb: str,
    obj: Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        verb=verb,
        object_type=obj._meta.model_name or type(obj).__name__.lower(),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def audit_by(
    actor: Membership,
    *,
    verb: str,
    obj: Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record what a member did in their own workspace (the usual case for services)."""
    return audit_record(
        workspace=actor.workspace, actor=actor.user, verb=verb, obj=obj, before=before, after=after
    )


def audit_created(actor: Membership, *, verb: str, obj: Model, fields: list[str]) -> AuditEvent:
    """Record a creation: `fields` of the new `obj` as the audit event's after."""
    return audit_by(actor, verb=verb, obj=obj, after=snapshot(obj, fields))


def audit_change(
    actor: Membership, *, verb: str, obj: Model, before: dict[str, Any], fields: list[str]
) -> AuditEvent:
    """Record an edit: `before` (the snapshot taken before it) against `fields` of `obj` now."""
    return audit_by(actor, verb=verb, obj=obj, before=before, after=snapshot(obj, fields))


def audited_delete(actor: Membership, *, verb: str, obj: Model, fields: list[str]) -> None:
    """Record `obj`'s last state, then delete it (inside the caller's transaction)."""
    audit_by(actor, verb=verb, obj=obj, before=snapshot(obj, fields))
    obj.delete()
