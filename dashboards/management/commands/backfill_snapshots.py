"""manage.py backfill_snapshots [--workspace SLUG] [--days N]: rebuild past days from history."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alignment.models import Workspace
from dashboards import snapshots


class Command(BaseCommand):
    help = "Rebuild the daily snapshots of past days from task events and check-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", metavar="SLUG", help="Only this workspace.")
        parser.add_argument("--days", type=int, default=30, help="How many past days (30).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1 or days > 730:
            raise CommandError("--days takes 1 to 730.")
        workspaces = Workspace.objects.order_by("slug")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace with the slug {options['workspace']!r}.")
        for workspace in workspaces:
            written = snapshots.backfill(workspace, days=days)
            self.stdout.write(f"{workspace.slug}: {written} snapshots over {days} days")
