"""Compliance at a glance: per team and standard, the share of work that met it over time,
the waivers with their reasons, and the tasks that slipped through (warn mode).

Every number is read from the read model (`readmodel.compliance.compliance_days`: one row per
team, standard, sprint and day, kept by standards.compliance_rows from the `GateRecord` ledger),
never recounted on a page: a task fixed after it slipped through still counts as slipped that
week. Key result standards have no moves to record; their rows measure the team's active key
results day by day, and a row's latest measure is its count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from alignment.models import Membership, Team, Workspace
from readmodel.compliance import ComplianceCount, compliance_days
from standards.models import Adoption, GateRecord, Outcome, Standard, Subject

WEEKS = 8


@dataclass
class Week:
    start: date
    met: int = 0
    slipped: int = 0

    @property
    def share(self) -> float | None:
        judged = self.met + self.slipped
        return self.met / judged if judged else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)


@dataclass
class ComplianceRow:
    team: Team
    adoption: Adoption
    counts: dict[str, int] = field(default_factory=dict)
    weeks: list[Week] = field(default_factory=list)

    @property
    def standard(self) -> Standard:
        return self.adoption.standard

    @property
    def met(self) -> int:
        return self.counts.get(Outcome.MET, 0)

    @property
    def slipped(self) -> int:
        return self.counts.get(Outcome.SLIPPED, 0)

    @property
    def share(self) -> float | None:
        judged = self.met + self.slipped
        return self.met / judged if judged else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def compliance_rows(
    workspace: Workspace, *, today: date, viewer: Membership | None = None, weeks: int = WEEKS
) -> list[ComplianceRow]:
    """Every adoption the viewer may see with its outcomes over the last `weeks` weeks."""
    adoptions = (
        Adoption.objects.visible_to(viewer) if viewer else Adoption.objects.for_workspace(workspace)
    )
    adoptions = adoptions.select_related("team", "standard", "waived_by").order_by(
        "team__name", "standard__name"
    )
    first = week_start(today) - timedelta(weeks=weeks - 1)
    rows = {(a.team_id, a.standard_id): ComplianceRow(team=a.team, adoption=a) for a in adoptions}
    for row in rows.values():
        row.weeks = [Week(first + timedelta(weeks=i)) for i in range(weeks)]
    measured: dict[tuple[int, int], list[ComplianceCount]] = {}
    for day in compliance_days(workspace.pk, first=first, last=today, viewer=viewer):
        found = rows.get((day.team_id, day.standard_id))
        if found is None:
            continue  # dropped since, or a team the viewer may not see
        if found.standard.subject != Subject.TASK:
            measured.setdefault((day.team_id, day.standard_id), []).append(day)
            continue
        _count(found, day, first)
    for key, days in measured.items():
        _latest_measures(rows[key], days, first)
    return list(rows.values())


def _count(row: ComplianceRow, day: ComplianceCount, first: date) -> None:
    """A task standard: the day's entries add to the row and to their week."""
    for outcome, n in (
        (Outcome.MET, day.met),
        (Outcome.SLIPPED, day.slipped),
        (Outcome.WAIVED, day.waived),
        (Outcome.BLOCKED, day.blocked),
    ):
        if n:
            row.counts[outcome] = row.counts.get(outcome, 0) + n
    index = (week_start(day.day) - first).days // 7
    if 0 <= index < len(row.weeks):
        row.weeks[index].met += day.met
        row.weeks[index].slipped += day.slipped


def _latest_measures(row: ComplianceRow, days: list[ComplianceCount], first: date) -> None:
    """A key result standard: each week shows its last measure; the row, the latest one."""
    for day in sorted(days, key=lambda d: d.day):  # a later day overwrites its week
        index = (week_start(day.day) - first).days // 7
        if 0 <= index < len(row.weeks):
            row.weeks[index].met, row.weeks[index].slipped = day.met, day.slipped
        row.counts = {Outcome.MET: day.met, Outcome.SLIPPED: day.slipped}


def slipped_through(
    workspace: Workspace,
    *,
    viewer: Membership | None = None,
    team: Team | None = None,
    limit: int = 50,
) -> list[GateRecord]:
    """The latest tasks that entered a gated state failing a warn-mode standard."""
    records = (
        GateRecord.objects.visible_to(viewer)
        if viewer
        else GateRecord.objects.for_workspace(workspace)
    )
    records = records.filter(outcome__in=[Outcome.SLIPPED, Outcome.BLOCKED])
    if team is not None:
        records = records.filter(team=team)
    return list(
        records.select_related("task__team", "standard", "team", "actor").order_by(
            "-created_at", "-id"
        )[:limit]
    )


def waivers(workspace: Workspace, *, viewer: Membership | None = None) -> list[Adoption]:
    rows = (
        Adoption.objects.visible_to(viewer) if viewer else Adoption.objects.for_workspace(workspace)
    )
    return list(
        rows.exclude(waiver_reason="")
        .select_related("team", "standard", "waived_by")
        .order_by("-waived_at", "-id")
    )


@dataclass
class Summary:
    """The leader widget: one line per team and task standard, plus waivers and slips."""

    rows: list[ComplianceRow]
    waivers: list[Adoption]
    slipped: list[GateRecord]


def leader_summary(*, workspace: Workspace, viewer: Membership | None, today: date) -> Summary:
    """The leader dashboard widget's data (dashboards.widgets extension loader)."""
    return Summary(
        rows=compliance_rows(workspace, today=today, viewer=viewer, weeks=4),
        waivers=waivers(workspace, viewer=viewer),
        slipped=slipped_through(workspace, viewer=viewer, limit=5),
    )
