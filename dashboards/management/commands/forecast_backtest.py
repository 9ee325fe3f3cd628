"""Replay each past week of a workspace's history and report how well forecasts held."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alignment import timezones
from alignment.models import Workspace
from dashboards.forecast_backtest import backtest_workspace


class Command(BaseCommand):
    help = (
        "Backtest the forecasts of a workspace's key results, objectives and roadmap items "
        "whose deadline has passed: how often the P85 value and date held, and the Brier score."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", help="The workspace's slug.")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace {options['workspace']!r}.")
        result = backtest_workspace(workspace.pk, today=timezones.today(workspace)).as_dict()
        self.stdout.write(json.dumps(result, indent=2))
