"""Build the demo company so every page has something real to show. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from alignment import demo


class Command(BaseCommand):
    help = "Create (or complete) the Acme Robotics demo workspace. A second run changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        company = demo.seed_company()
        today = timezone.localdate()
        for seed in demo_seeders():
            seed(
                workspace=company.workspace,
                teams=company.teams,
                people=company.people,
                today=today,
            )
        self.stdout.write(self.style.SUCCESS("Demo workspace ready: Acme Robotics (/w/acme/)"))
        self.stdout.write(f"Log in with any of these (password for all: {demo.DEMO_PASSWORD}):")
        for local, full_name, role, _teams in demo.PEOPLE:
            self.stdout.write(f"  {demo.email_of(local):<24} {role.label:<7} {full_name}")


def demo_seeders() -> list[Any]:
    """Each domain app's seeder, in dependency order (OKRs before the work that serves them).

    Imported here, not at module level: alignment/ must not import the domain apps.
    """
    from dashboards.demo import seed_dashboards
    from okrs.demo import seed_okrs
    from tasks.demo import seed_work

    return [seed_okrs, seed_work, seed_dashboards]
