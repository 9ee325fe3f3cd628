"""manage.py export_workspace SLUG [--output FILE]: write a workspace archive (ZIP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alignment.models import Workspace
from portability import archive
from portability.exporter import export_document


class Command(BaseCommand):
    help = "Export one workspace (rows and attachments) to a versioned ZIP archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The workspace to export.")
        parser.add_argument(
            "--output", "-o", metavar="FILE", help="Where to write it (default: SLUG.zip)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["slug"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with the slug {options['slug']!r}.")
        target = Path(options["output"] or f"{workspace.slug}.zip")
        document = export_document(workspace)
        try:
            archive.write(target, document)
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(len(r) for r in document["records"].values())
        self.stdout.write(
            f"Exported {workspace.slug}: {rows} rows, {len(document['users'])} people, "
            f"{len(document['files'])} files → {target}"
        )
