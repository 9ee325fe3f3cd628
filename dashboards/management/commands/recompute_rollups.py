"""manage.py recompute_rollups [--workspace SLUG]: rebuild every rollup from source rows."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alignment.models import Workspace
from dashboards import rollups


class Command(BaseCommand):
    help = "Recompute the materialized rollups of one workspace (or all) from source rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", metavar="SLUG", help="Only this workspace.")

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = Workspace.objects.order_by("slug")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace with the slug {options['workspace']!r}.")
        for workspace in workspaces:
            started = time.perf_counter()
            written = rollups.recompute_all(workspace)
            elapsed = (time.perf_counter() - started) * 1000
            self.stdout.write(f"{workspace.slug}: {written} rollups in {elapsed:.0f} ms")
