"""A planned week for the weekly digest tests (objectives with last week's and this week's
snapshots, findings with reasons, team metrics) and readers of what was sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from dashboards.models import Finding, Snapshot, TeamMetrics
from integrations.tasks import weekly_digest
from okrs.models import KeyResult, Objective, Period
from readmodel.models import Rollup
from tasks.models import Sprint, Task
from tests.conftest import World
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import SprintFactory, TaskFactory

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


def plan_week(world: World, *, prefix: str, today: date) -> Planned:
    """Objectives with snapshots a week apart, stored rollups with reasons, a finding, metrics:
    the rows the dashboards' jobs write, written here directly so the numbers are exact."""
    ws = world.workspace
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
    Rollup.objects.create(
        workspace=ws,
        kind="team",
        node_id=world.team.pk,
        total_points=Decimal("10"),
        aligned_points=Decimal("7"),
    )
    TeamMetrics.objects.create(
        workspace=ws,
        team=world.team,
        data={
            "velocity": {"points": [10, 10, 14], "average": 11.33, "sprints": 3},
            "cycle_time_days": {"p50": 2.5},
            "dora": {
                "deployment_frequency": {"tier": "elite", "value": 1.5},
                "lead_time": {"tier": "high", "value": 30},
            },
        },
    )
    sprint = SprintFactory(team=world.team, name=f"{prefix} sprint 7", status="active")
    task = TaskFactory(team=world.team, title=f"{prefix} late addition", sprint=sprint)
    Finding.objects.create(
        workspace=ws,
        code="scope_added",
        severity="at_risk",
        subject_kind="sprint",
        subject_id=sprint.pk,
        team=world.team,
        numbers={"added_points": 8, "share": 0.4, "committed_points": 20, "limit": 0.2},
        evidence=[["task", task.pk]],
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
