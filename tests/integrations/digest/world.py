"""A planned week for the weekly digest tests (objectives with last week's and this week's
snapshots, a sprint that grew after it started, key results with reasons, team metrics) and
readers of what was sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import time_machine
from django.utils import timezone

from dashboards import freshness
from dashboards.models import Snapshot, TeamMetrics
from integrations.tasks import weekly_digest
from okrs.models import KeyResult, Objective, Period
from readmodel.models import Rollup
from tasks.models import Sprint, Task
from tasks.services.core import task_create
from tasks.services.sprints import sprint_create, sprint_start
from tests.conftest import World
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory

SITE = "https://align.example.com"
CHANNEL = "C0DIGEST01"
STALE_REASON = "The last check-in was 20 days ago (expected at least every 14 days)."


@dataclass
class Planned:
    world: World
    period: Period
    company: Objective  # moved 30% → 42% this week
    steady: Objective  # 20% both weeks: not "moved"
    key_result: KeyResult  # off track, with a stale check-in reason
    sprint: Sprint
    task: Task  # the evidence of the scope finding

    @property
    def slug(self) -> str:
        return self.world.workspace.slug


def _snapshot(objective: Objective, day: date, progress: str, expected: str) -> Snapshot:
    return Snapshot.objects.create(
        workspace=objective.workspace,
        day=day,
        kind="objective",
        node_id=objective.pk,
        progress=Decimal(progress),
        expected=Decimal(expected),
        status="at_risk",
    )


def grow_a_running_sprint(world: World, *, prefix: str, today: date) -> tuple[Sprint, Task]:
    """A sprint that started three days ago with 20 points committed and got an 8-point task
    two days later, all through the services, then the refresh job that follows such commits:
    the real detector stores its scope finding (8 added, 40% of 20, over the 20% limit)."""
    actor, team = world.admin, world.team
    started = timezone.now() - timedelta(days=3)
    with time_machine.travel(started, tick=False):  # committed: in the sprint at its start
        sprint = sprint_create(
            actor=actor,
            team=team,
            name=f"{prefix} sprint 7",
            start_date=today - timedelta(days=3),
            end_date=today + timedelta(days=11),
        )
        task_create(
            actor=actor, team=team, title=f"{prefix} planned work", estimate=20, sprint=sprint
        )
        sprint_start(actor=actor, sprint=sprint)
    with time_machine.travel(started + timedelta(days=2), tick=False):
        task = task_create(
            actor=actor, team=team, title=f"{prefix} late addition", estimate=8, sprint=sprint
        )
    freshness.drain(world.workspace.pk)
    return sprint, task


def plan_week(world: World, *, prefix: str, today: date) -> Planned:
    """Objectives with snapshots a week apart, stored rollups with reasons, a finding, metrics:
    the rows the dashboards' jobs write, written here directly so the numbers are exact."""
    ws = world.workspace
    # First, while the workspace holds nothing else: the refresh job then finds exactly this.
    sprint, task = grow_a_running_sprint(world, prefix=prefix, today=today)
    period = PeriodFactory(
        workspace=ws,
        name=f"{prefix} quarter",
        start=today - timedelta(days=45),
        end=today + timedelta(days=45),
    )
    company = ObjectiveFactory(
        period=period,
        level="company",
        team=None,
        title=f"{prefix} wins the market",
        owner=world.admin.user,
    )
    steady = ObjectiveFactory(
        period=period, team=world.team, parent=company, title=f"{prefix} steady onboarding"
    )
    key_result = KeyResultFactory(objective=company, title=f"{prefix} activation to 100")
    _snapshot(company, today - timedelta(days=7), "0.30", "0.42")
    _snapshot(company, today, "0.42", "0.50")
    _snapshot(steady, today - timedelta(days=7), "0.20", "0.42")
    _snapshot(steady, today, "0.20", "0.50")
    Rollup.objects.create(
        workspace=ws,
        kind="objective",
        node_id=company.pk,
        progress=Decimal("0.42"),
        expected=Decimal("0.50"),
        status="on_track",
    )
    # Every node of the period has its row, as the rollup jobs leave it: the digest reads
    # them through the read model, which computes a missing one from the (empty) source data.
    Rollup.objects.create(
        workspace=ws,
        kind="objective",
        node_id=steady.pk,
        progress=Decimal("0.20"),
        expected=Decimal("0.50"),
        status="on_track",
    )
    Rollup.objects.create(
        workspace=ws,
        kind="key_result",
        node_id=key_result.pk,
        progress=Decimal("0.10"),
        expected=Decimal("0.50"),
        status="off_track",
        reasons=[
            {"code": "behind_pace", "numbers": {"progress": 0.1, "expected": 0.5, "gap": -0.4}},
            {"code": "stale_check_in", "numbers": {"days": 20, "limit": 14}},
        ],
    )
    Rollup.objects.update_or_create(  # over the row the refresh wrote for the two tasks
        workspace=ws,
        kind="team",
        node_id=world.team.pk,
        defaults={"total_points": Decimal("10"), "aligned_points": Decimal("7")},
    )
    # Over what the refresh computed from the two tasks: exact numbers for the team table.
    TeamMetrics.objects.update_or_create(
        team=world.team,
        defaults={
            "workspace": ws,
            "data": {
                "velocity": {"points": [10, 10, 14], "average": 11.33, "sprints": 3},
                "cycle_time_days": {"p50": 2.5},
                "dora": {
                    "deployment_frequency": {"tier": "elite", "value": 1.5},
                    "lead_time": {"tier": "high", "value": 30},
                },
            },
        },
    )
    return Planned(world, period, company, steady, key_result, sprint, task)


def run_beat(capture: Any) -> None:
    """The beat job as the worker runs it (eager Celery), then the outbox deliveries."""
    with capture(execute=True):
        weekly_digest.delay()


def received(smtp_inbox: Any) -> dict[str, Message]:
    return {
        envelope.rcpt_tos[0]: message_from_bytes(envelope.content, policy=policy.default)
        for envelope in smtp_inbox.envelopes
    }


def bodies(mail: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in mail.walk()
        if not part.is_multipart()
    }


def slack_bodies(peer: Any) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in peer.received if r.path == "/api/chat.postMessage"]
