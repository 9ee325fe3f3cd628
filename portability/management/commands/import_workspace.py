"""manage.py import_workspace FILE --slug SLUG [--name NAME]: create a workspace from an archive."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portability import archive
from portability.importer import import_document


class Command(BaseCommand):
    help = "Import a workspace archive written by export_workspace as a new workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The archive (a ZIP written by export_workspace).")
        parser.add_argument("--slug", required=True, help="The new workspace's slug.")
        parser.add_argument("--name", help="The new workspace's name (default: the archive's).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            document = archive.read(path)
            with zipfile.ZipFile(path) as members:
                result = import_document(
                    document, slug=options["slug"], name=options["name"], files=members.open
                )
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        total = sum(result.rows.values())
        self.stdout.write(f"Imported {total} rows into {result.workspace.slug}.")
        for label, count in sorted(result.dropped.items()):
            self.stdout.write(f"  left out {count} {label} rows whose subject was not exported")
        if result.users_created:
            self.stdout.write(
                f"  created {len(result.users_created)} people without a password "
                "(they sign in after 'Forgot password'): " + ", ".join(result.users_created)
            )
