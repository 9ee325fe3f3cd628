"""`manage.py recompute_compliance [slug …]`: recount the compliance rows of the read model
from the standards' gate records (repair; gives exactly what the moves wrote)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alignment.models import Workspace
from standards import compliance_rows


class Command(BaseCommand):
    help = "Recount compliance per team, standard and day from the gate records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="workspaces (default: every workspace)")

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = Workspace.objects.order_by("pk")
        if options["slugs"]:
            workspaces = workspaces.filter(slug__in=options["slugs"])
            missing = set(options["slugs"]) - set(workspaces.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No workspace {', '.join(sorted(missing))}.")
        for workspace in workspaces:
            compliance_rows.recompute_all(workspace)
            self.stdout.write(f"{workspace.slug}: compliance recounted")
