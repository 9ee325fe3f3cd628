"""Reads of compliance: per team and standard, the outcomes of each day (`ComplianceDay`).

    days = compliance_days(workspace.pk, first=first_day, last=today, viewer=membership)
    for day in days: day.team_id, day.standard_id, day.day, day.met, day.slipped, ...

Every compliance number a page, widget, finding or API response shows is a sum of these rows.
standards computes them (it knows the checks and the gate ledger) and registers a
`ComplianceRefresher` here at start-up, as dashboards registers the rollup refresher
(readmodel/freshness.py): before a read, the rows a day's first read lacks (key result
standards are measured once a day) are computed, so a row is never from an earlier day.
Task-standard rows are kept current after each commit that records a gated entry.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from alignment.models import Membership
from readmodel.models import ComplianceDay


class ComplianceRefresher(Protocol):
    """What standards provides to keep compliance rows current."""

    def ensure_day(self, workspace_id: int, today: date) -> None:
        """Compute the rows of `today` that are measured once a day and are missing."""


_refresher: ComplianceRefresher | None = None


def register(refresher: ComplianceRefresher | None) -> None:
    """Install the refresher (standards does, at start-up); None removes it (tests)."""
    global _refresher
    _refresher = refresher


def registered() -> ComplianceRefresher | None:
    return _refresher


@dataclass(frozen=True, slots=True)
class ComplianceCount:
    """One team's outcomes against one standard on one day, in one sprint (0: none)."""

    team_id: int
    standard_id: int
    sprint_id: int
    day: date
    met: int
    slipped: int
    waived: int
    blocked: int
    failing: dict[str, tuple[int, ...]]  # check kind -> the subjects that failed it


FIELDS = (
    "team_id",
    "standard_id",
    "sprint_id",
    "day",
    "met",
    "slipped",
    "waived",
    "blocked",
    "failing",
)


def compliance_days(
    workspace_id: int,
    *,
    first: date,
    last: date,
    viewer: Membership | None = None,
    sprint_ids: Collection[int] | None = None,
    fresh: bool = True,
) -> list[ComplianceCount]:
    """The rows of the days `first`..`last`, those of private teams the viewer may not see left
    out; with `sprint_ids`, only the rows of work in those sprints. One query when current."""
    refresher = registered() if fresh else None
    if refresher is not None:
        refresher.ensure_day(workspace_id, last)
    rows = (
        ComplianceDay.objects.visible_to(viewer)
        if viewer is not None
        else ComplianceDay.objects.for_workspace(workspace_id)
    )
    rows = rows.filter(day__gte=first, day__lte=last)
    if sprint_ids is not None:
        rows = rows.filter(sprint_id__in=sorted(sprint_ids))
    return [
        ComplianceCount(
            team_id=team_id,
            standard_id=standard_id,
            sprint_id=sprint_id,
            day=day,
            met=met,
            slipped=slipped,
            waived=waived,
            blocked=blocked,
            failing={str(k): tuple(int(i) for i in v) for k, v in (failing or {}).items()},
        )
        for team_id, standard_id, sprint_id, day, met, slipped, waived, blocked, failing in (
            rows.order_by("team_id", "standard_id", "day", "sprint_id").values_list(*FIELDS)
        )
    ]


__all__ = ["ComplianceCount", "ComplianceRefresher", "compliance_days", "register"]
