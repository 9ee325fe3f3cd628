"""How long a workspace keeps its audit log, and the pruning that applies it.

The setting lives in `Workspace.settings["audit_retention_days"]`: absent means forever (the
default), otherwise a whole number of days, at least `MIN_RETENTION_DAYS`, so that a mistaken
setting cannot wipe the trail of what just happened. Pruning runs daily (Celery beat,
`alignment.audit_log_prune`) and on demand (`manage.py prune_audit_log`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from alignment.audit import audit_by
from alignment.errors import FieldErrors, RoleRequired
from alignment.models import AuditEvent, Membership, Role, Workspace

SETTING = "audit_retention_days"
MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 36500
# Deleting in slices keeps each statement short, so a first prune of years of history does
# not hold one long lock over the audit table while others keep writing to it.
DELETE_BATCH = 5000


def audit_retention_days(workspace: Workspace) -> int | None:
    """The workspace's retention in days, or None for "keep forever"."""
    value = (workspace.settings or {}).get(SETTING)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@transaction.atomic
def audit_retention_set(*, actor: Membership, days: int | None) -> Workspace:
    """Set (or with None, clear) how many days of audit log the workspace keeps (owner)."""
    if not actor.has_role(Role.OWNER):
        raise RoleRequired(role="owner")
    if days is not None and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise FieldErrors(
            {
                "days": f"Keep at least {MIN_RETENTION_DAYS} days (at most {MAX_RETENTION_DAYS}),"
                " or leave it empty to keep everything."
            }
        )
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace_id)
    before = audit_retention_days(workspace)
    if before == days:
        return workspace
    settings = dict(workspace.settings or {})
    if days is None:
        settings.pop(SETTING, None)
    else:
        settings[SETTING] = days
    workspace.settings = settings
    workspace.save(update_fields=["settings"])
    actor.workspace = workspace
    audit_by(
        actor,
        verb="workspace.audit_retention_changed",
        obj=workspace,
        before={"retention_days": before},
        after={"retention_days": days},
    )
    return workspace


def audit_prune(*, workspace: Workspace, now: datetime, dry_run: bool = False) -> int:
    """Delete the workspace's audit events older than its retention; returns how many."""
    days = audit_retention_days(workspace)
    if days is None:
        return 0
    old = AuditEvent.objects.for_workspace(workspace).filter(
        created_at__lt=now - timedelta(days=days)
    )
    if dry_run:
        return old.count()
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:DELETE_BATCH])
        if not ids:
            return deleted
        deleted += AuditEvent.objects.filter(pk__in=ids).delete()[0]


def audit_prune_all(*, now: datetime, dry_run: bool = False) -> dict[str, int]:
    """Apply every workspace's retention; returns the events deleted per workspace slug."""
    return {
        workspace.slug: audit_prune(workspace=workspace, now=now, dry_run=dry_run)
        for workspace in Workspace.objects.order_by("pk").iterator()
        if audit_retention_days(workspace) is not None
    }
