"""`manage.py automation_tick`: run due schedule rules and lost events now (the embedded
setup has no beat; cron it, or run it by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from automation import engine


class Command(BaseCommand):
    help = "Run due scheduled automation rules and process events left unprocessed."

    def handle(self, *args: Any, **options: Any) -> None:
        scheduled = engine.run_scheduled()
        swept = engine.sweep()
        self.stdout.write(f"Scheduled rules applied: {scheduled}; lost events processed: {swept}")
