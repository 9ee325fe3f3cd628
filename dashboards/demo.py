"""Demo data of the dashboards: deployments and incidents, then every materialized row.

`seed_dashboards` runs after the OKR and work seeders. It adds ~6 weeks of deployments and a
few incidents per team (deterministic, once), then computes rollups, team metrics, findings,
30 days of snapshots rebuilt from history and today's, so every widget has something to show
on first open. Running it again changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from alignment.models import Team, User, Workspace
from dashboards import freshness, rollups, snapshots
from dashboards.models import Deployment, Incident

BACKFILL_DAYS = 30
# Deploys per week by team position: a spread of DORA tiers on the leader dashboard.
DEPLOYS_PER_WEEK = [14, 4, 1, 6, 0.5]


@dataclass
class DashboardsSummary:
    rollups: int
    deployments: int
    incidents: int
    snapshots: int
    findings: int


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _deliveries(workspace: Workspace, teams: Sequence[Team], today: date) -> tuple[int, int]:
    rng = random.Random(f"dashboards-{workspace.slug}")
    deployments: list[Deployment] = []
    for index, team in enumerate(teams):
        per_day = DEPLOYS_PER_WEEK[index % len(DEPLOYS_PER_WEEK)] / 7
        for offset in range(42, 0, -1):
            day = today - timedelta(days=offset)
            count = int(per_day) + (rng.random() < per_day - int(per_day))
            for _ in range(count):
                deployed = _at(day, rng.randint(9, 17), rng.randint(0, 59))
                lead_hours = rng.choice([2, 5, 20, 30, 60, 120]) * (1 + index % 3)
                deployments.append(
                    Deployment(
                        workspace=workspace,
                        team=team,
                        deployed_at=deployed,
                        committed_at=deployed - timedelta(hours=lead_hours),
                        reference=f"{team.key.lower()}-{day:%Y%m%d}-{len(deployments)}",
                        description="Release",
                        is_failure=rng.random() < 0.05 + 0.06 * (index % 3),
                    )
                )
    Deployment.objects.bulk_create(deployments)
    incidents = [
        Incident(
            workspace=workspace,
            team=d.team,
            deployment=d,
            title=f"Errors after {d.reference}",
            started_at=d.deployed_at + timedelta(minutes=20),
            resolved_at=d.deployed_at + timedelta(minutes=20 + rng.choice([25, 90, 300, 1500])),
        )
        for d in deployments
        if d.is_failure
    ]
    Incident.objects.bulk_create(incidents)
    return len(deployments), len(incidents)


@transaction.atomic
def seed_dashboards(
    *,
    workspace: Workspace,
    teams: Mapping[str, Team] | Sequence[Team],
    people: Mapping[str, User] | Sequence[User],
    today: date,
) -> DashboardsSummary:
    """Deployments and incidents, then rollups, metrics, findings and snapshots — once.

    A second seed run changes nothing (like every seeder), and `manage.py recompute_rollups`
    is the way to refresh the rows on purpose. "Already seeded" is told by the deployments,
    which only this seeder writes: rollup rows are no sign, because the OKR and work seeders'
    commits already materialize some of them (freshness on commit and read)."""
    team_list = list(teams.values()) if isinstance(teams, Mapping) else list(teams)
    if Deployment.objects.filter(workspace=workspace).exists():
        return DashboardsSummary(0, 0, 0, 0, 0)
    deployments, incidents = _deliveries(workspace, team_list, today)
    written = rollups.recompute_all(workspace, today=today)
    # Metrics, then the findings that read them, and whatever the seed's changes queued: the
    # first page load has nothing left to drain.
    found = freshness.refresh_now(workspace.pk).findings or 0
    snaps = snapshots.backfill(workspace, days=BACKFILL_DAYS, today=today)
    snaps += snapshots.take(workspace, day=today)
    return DashboardsSummary(written, deployments, incidents, snaps, found)
