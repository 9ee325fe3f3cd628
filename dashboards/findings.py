"""Reading findings: grouped by kind, ranked by impact, without the dismissed and snoozed.

A leader reads the groups in order of their worst finding, the top few of each, and opens a
group to see all of it. Every list costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from alignment.models import Membership, Team, Workspace
from dashboards.models import Finding, FindingDismissal
from dashboards.reasons import KINDS, Names, ShownFinding, kind_title, shown

TOP_PER_GROUP = 3
GROUP_PAGE_MAX = 200  # a group opened in place shows at most this many (the page has them all)


def _hiding(today: date) -> QuerySet[FindingDismissal]:
    """Dismissals in force on `today` for the finding of the outer query."""
    return FindingDismissal.objects.filter(
        workspace_id=OuterRef("workspace_id"),
        code=OuterRef("code"),
        subject_kind=OuterRef("subject_kind"),
        subject_id=OuterRef("subject_id"),
    ).filter(Q(until__isnull=True) | Q(until__gt=today))


def _findings(workspace: Workspace, viewer: Membership | None) -> QuerySet[Finding]:
    # A viewer sees no finding about a private team they are not on (visible_to).
    return (
        Finding.objects.visible_to(viewer) if viewer else Finding.objects.for_workspace(workspace)
    )


def visible(
    workspace: Workspace,
    *,
    today: date,
    team: Team | None = None,
    viewer: Membership | None = None,
) -> QuerySet[Finding]:
    """The findings nobody dismissed or snoozed (as of `today`), best ranked first; with a
    `viewer`, only those they may see."""
    qs = _findings(workspace, viewer).filter(~Exists(_hiding(today)))
    if team is not None:
        qs = qs.filter(team=team)
    return qs.order_by("-impact", "id")


def hidden(
    workspace: Workspace, *, today: date, viewer: Membership | None = None
) -> QuerySet[Finding]:
    """The findings someone dismissed, or snoozed past `today` (those `viewer` may see)."""
    return (
        _findings(workspace, viewer)
        .filter(Exists(_hiding(today)))
        .order_by("code", "-impact", "id")
    )


def ranks(findings: Iterable[Finding], *, today: date) -> dict[int, int]:
    """Each finding's place in its kind among the visible ones (1 = highest impact): one query
    for any number of findings."""
    wanted = list(findings)
    if not wanted:
        return {}
    workspace_id = wanted[0].workspace_id
    codes = sorted({f.code for f in wanted})
    ordered = (
        Finding.objects.filter(workspace_id=workspace_id, code__in=codes)
        .filter(~Exists(_hiding(today)))
        .order_by("code", "-impact", "id")
        .values_list("id", "code")
    )
    place: dict[int, int] = {}
    seen: dict[str, int] = defaultdict(int)
    for pk, code in ordered:
        seen[code] += 1
        place[pk] = seen[code]
    return place


@dataclass
class FindingGroup:
    """One kind of finding: its title, how many there are, and the top few shown."""

    code: str
    count: int
    top_impact: float
    findings: list[ShownFinding] = field(default_factory=list)
    shown_count: int = 0  # how many of them the page shows (before their sentences attach)

    @property
    def title(self) -> str:
        return kind_title(self.code)

    @property
    def about(self) -> str:
        return KINDS.get(self.code, ("", ""))[1]

    @property
    def more(self) -> int:
        """How many of the kind the page does not show (its "show all" count)."""
        return self.count - max(self.shown_count, len(self.findings))


@dataclass
class GroupedFindings:
    groups: list[FindingGroup]
    stored: list[Finding]  # the findings shown, for loading record names with a page's others
    dismissed_count: int = 0

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    def attach(self, items: Iterable[ShownFinding]) -> None:
        """Put the shown findings (sentences and links, `reasons.shown`) in their groups."""
        by_code = {g.code: g for g in self.groups}
        for group in self.groups:
            group.findings = []
        for item in items:
            by_code[item.finding.code].findings.append(item)


def grouped(
    workspace: Workspace,
    *,
    today: date,
    per_group: int | None = TOP_PER_GROUP,
    team: Team | None = None,
    names: Names | None = None,
    viewer: Membership | None = None,
) -> GroupedFindings:
    """The visible findings grouped by kind, groups by their worst finding, the top
    `per_group` of each (None: all): two queries (the top rows with their groups' counts, and
    how many are dismissed or snoozed).

    Without `names`, a page loads record names together with its other records (`stored`
    holds the findings shown) and calls `attach`; with them, they are attached here."""
    by_code = [F("code")]
    rows = visible(workspace, today=today, team=team, viewer=viewer).annotate(
        place=Window(RowNumber(), partition_by=by_code, order_by=[F("impact").desc(), F("id")]),
        group_count=Window(Count("id"), partition_by=by_code),
        group_top=Window(Max("impact"), partition_by=by_code),
    )
    if per_group is not None:
        rows = rows.filter(place__lte=max(per_group, 1))  # a filter on a window: a subquery
    top: list[Finding] = list(rows.order_by("-impact", "id"))
    groups: dict[str, FindingGroup] = {}
    for finding in top:
        if finding.code not in groups:
            count, top_impact = getattr(finding, "group_count", 1), getattr(finding, "group_top", 0)
            groups[finding.code] = FindingGroup(finding.code, count, float(top_impact or 0))
        groups[finding.code].shown_count += 1
    result = GroupedFindings(
        groups=sorted(groups.values(), key=lambda g: (-g.top_impact, g.code)),
        stored=top,
        dismissed_count=hidden(workspace, today=today, viewer=viewer).count(),
    )
    if names is not None:
        result.attach(shown(top, names))
    return result
