"""manage.py attachments_cleanup [--dry-run]: remove stored files that no attachment names."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from attachments.services import ORPHAN_GRACE, orphans_remove


class Command(BaseCommand):
    help = (
        "Remove stored attachment files that no attachment row names (left by a crash or a "
        f"failed delete), older than {int(ORPHAN_GRACE.total_seconds() // 60)} minutes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; remove nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        removed = orphans_remove(dry_run=dry_run)
        for key in removed:
            self.stdout.write(f"  {key}")
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(f"{verb} {len(removed)} orphaned file(s).")
