"""Apply the audit log retention now (beat does it daily); prints what it deleted."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alignment.audit_retention import audit_prune, audit_prune_all, audit_retention_days
from alignment.models import Workspace


class Command(BaseCommand):
    help = (
        "Delete audit events older than each workspace's retention setting (Settings → Audit "
        "log). Workspaces without a retention keep everything. Example: prune_audit_log "
        "--workspace acme --dry-run"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="Only this workspace (its slug).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now, dry_run = timezone.now(), options["dry_run"]
        if options["workspace"]:
            workspace = Workspace.objects.filter(slug=options["workspace"]).first()
            if workspace is None:
                raise CommandError(f"No workspace has the slug {options['workspace']}.")
            if audit_retention_days(workspace) is None:
                self.stdout.write(f"{workspace.slug}: keeps its audit log forever; nothing to do.")
                return
            counts = {workspace.slug: audit_prune(workspace=workspace, now=now, dry_run=dry_run)}
        else:
            counts = audit_prune_all(now=now, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for slug, count in counts.items():
            self.stdout.write(f"{slug}: {verb} {count} audit events")
        if not counts:
            self.stdout.write("No workspace has an audit log retention set; nothing to do.")
