"""Reads of OKRs for pages and the API: trees and explanations with progress and reasons.

Every number comes from the read model (`readmodel.selectors.rollups_for`): one query for the
objectives, one for their key results, then the materialized rows of all of them in one
bulk read that first brings them up to date (readmodel/freshness.py). Nothing here computes
progress; `okrs.progress.evaluate` only previews unsaved forms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from alignment import timezones
from alignment.models import Workspace
from alignment.registry import Slot
from okrs import progress as math
from okrs.models import (
    CheckIn,
    KeyResult,
    Objective,
    ObjectiveComment,
    ObjectiveLevel,
    Period,
)
from okrs.nodes import KeyResultNode, ObjectiveNode, build_nodes
from okrs.reason_words import reason_sentence

# Trend charts of an objective and its KRs come from daily snapshots, which dashboards owns;
# it fills this slot at start-up (alignment.registry) so okrs never imports it. Empty: no trends.
TrendsProvider = Callable[..., Any]  # (objective, key_results, *, forecasts) -> trends
trends: Slot[TrendsProvider] = Slot("okrs.selectors.trends")


def objective_trends(
    objective: Objective,
    key_results: Sequence[KeyResult],
    *,
    forecasts: Mapping[tuple[str, int], Any] | None = None,
) -> Any | None:
    """The objective's and its KRs' trend charts (one query), with each node's forecast band
    when `forecasts` (readmodel.forecasts rows) are given; None when no trends are kept."""
    provider = trends.provider
    if provider is None:
        return None
    return provider(objective, key_results, forecasts=forecasts or {})


LEVEL_ORDER: dict[str, int] = {
    ObjectiveLevel.COMPANY: 0,
    ObjectiveLevel.TEAM: 1,
    ObjectiveLevel.INDIVIDUAL: 2,
}


@dataclass
class ObjectiveTree:
    period: Period
    today: date
    roots: list[ObjectiveNode]
    nodes: dict[int, ObjectiveNode]
    names: dict[tuple[str, int], str]

    def walk(self) -> Iterator[ObjectiveNode]:
        """Depth-first, parents before children: the order of an indented outline."""
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def sentences(self, reasons: Sequence[math.Reason]) -> list[str]:
        return [reason_sentence(r, self.names) for r in reasons]

    @property
    def as_of(self) -> datetime | None:
        """When the oldest number of the tree was computed."""
        times = [n.as_of for n in self.nodes.values() if n.as_of is not None]
        return min(times) if times else None

    @property
    def status_counts(self) -> dict[str, int]:
        counts = {math.ON_TRACK: 0, math.AT_RISK: 0, math.OFF_TRACK: 0}
        for node in self.walk():
            if node.matches:
                counts[node.status.code] += 1
        return counts


@dataclass(frozen=True)
class TreeFilters:
    """Which objectives a tree shows; ancestors of a match stay, marked `matches=False`."""

    team: int | None = None
    owner: int | None = None
    status: str | None = None  # draft / active / closed
    level: str | None = None
    health: str | None = None  # on_track / at_risk / off_track

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> TreeFilters:
        data = data or {}

        def as_int(name: str) -> int | None:
            value = data.get(name)
            try:
                return int(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                return None

        def as_str(name: str) -> str | None:
            value = data.get(name)
            return str(value) if value not in (None, "") else None

        return cls(
            team=as_int("team"),
            owner=as_int("owner"),
            status=as_str("status"),
            level=as_str("level"),
            health=as_str("health"),
        )

    def accepts(self, node: ObjectiveNode) -> bool:
        o = node.objective
        return (
            (self.team is None or o.team_id == self.team)
            and (self.owner is None or o.owner_id == self.owner)
            and (self.status is None or o.status == self.status)
            and (self.level is None or o.level == self.level)
            and (self.health is None or node.status.code == self.health)
        )


# ---- loading and evaluating ---------------------------------------------------------------


def _live_objectives_within(workspace: Workspace, periods: Sequence[Period]) -> QuerySet:
    """Live objectives of these periods and of the periods they enclose (descendants live
    only in the same or an enclosed period), with what tree pages show."""
    within = reduce(
        or_, (Q(period__start__gte=p.start, period__end__lte=p.end) for p in periods), Q(pk=None)
    )
    return (
        Objective.objects.for_workspace(workspace)
        .live()
        .filter(within)
        .select_related("period", "team", "owner")
    )


def _key_results_of(objectives: QuerySet) -> list[KeyResult]:
    return list(
        KeyResult.objects.filter(objective__in=objectives.values("pk"))
        .select_related("owner")
        .order_by("position", "id")
    )


def _names(objectives: Sequence[Objective], key_results: Sequence[KeyResult]) -> dict:
    names: dict[tuple[str, int], str] = {("objective", o.pk): o.title for o in objectives}
    names.update({("key_result", kr.pk): kr.title for kr in key_results})
    return names


def _sort_key(node: ObjectiveNode) -> tuple[int, str, int]:
    o = node.objective
    return (LEVEL_ORDER.get(o.level, 9), o.title.lower(), o.pk)


# ---- public selectors ------------------------------------------------------------------------


def objective_tree_for_period(
    workspace: Workspace,
    period: Period,
    filters: TreeFilters | Mapping[str, Any] | None = None,
    *,
    today: date | None = None,
) -> ObjectiveTree:
    """The period's objectives as a tree with KRs, progress, expected pace, status and reasons.

    Two queries whatever the size. Roots are the period's objectives without a (live) parent
    in the tree; objectives of enclosed periods appear under the objective they align to.
    """
    today = today or timezones.today(workspace)
    if not isinstance(filters, TreeFilters):
        filters = TreeFilters.from_mapping(filters)
    objectives = list(_live_objectives_within(workspace, [period]))
    key_results = _key_results_of(_live_objectives_within(workspace, [period]))
    nodes = build_nodes(workspace, objectives, key_results, today)
    roots: list[ObjectiveNode] = []
    for node in sorted(nodes.values(), key=_sort_key):
        parent = nodes.get(node.objective.parent_id or 0)
        if parent is not None:
            parent.children.append(node)
        elif node.objective.period_id == period.pk:
            roots.append(node)
    roots = [node for node in roots if _apply_filters(node, filters, depth=0)]
    shown: dict[int, ObjectiveNode] = {}
    tree = ObjectiveTree(period, today, roots, shown, _names(objectives, key_results))
    shown.update({node.objective.pk: node for node in tree.walk()})
    return tree


def _apply_filters(node: ObjectiveNode, filters: TreeFilters, *, depth: int) -> bool:
    """Set depth and `matches`, drop branches without a match; True when this node stays."""
    node.depth = depth
    node.matches = filters.accepts(node)
    node.children = [c for c in node.children if _apply_filters(c, filters, depth=depth + 1)]
    return node.matches or bool(node.children)


def progress_for_objectives(
    workspace: Workspace, objectives: Sequence[Objective], *, today: date | None = None
) -> dict[int, ObjectiveNode]:
    """Progress nodes for a page of objectives (e.g. a flat API list), in two queries."""
    if not objectives:
        return {}
    today = today or timezones.today(workspace)
    periods = list({o.period_id: o.period for o in objectives}.values())
    loaded = list(_live_objectives_within(workspace, periods))
    key_results = _key_results_of(_live_objectives_within(workspace, periods))
    # Archived objectives of the page are not in `loaded`; evaluate them on their own.
    missing = [o for o in objectives if o.pk not in {x.pk for x in loaded}]
    missing_krs = (
        list(KeyResult.objects.filter(objective__in=[o.pk for o in missing]).order_by("position"))
        if missing
        else []
    )
    nodes = build_nodes(workspace, [*loaded, *missing], [*key_results, *missing_krs], today)
    return {o.pk: nodes[o.pk] for o in objectives}


@dataclass
class KeyResultExplanation:
    node: KeyResultNode
    check_ins: list[CheckIn]


@dataclass
class ObjectiveExplanation:
    """Why an objective's progress and status are what they are, KR by KR."""

    objective: Objective
    node: ObjectiveNode
    key_results: list[KeyResultExplanation]
    aligned: list[ObjectiveNode]  # objectives aligned under this one (with progress)
    comments: list[ObjectiveComment]
    names: dict[tuple[str, int], str]

    @property
    def reason_sentences(self) -> list[str]:
        return [reason_sentence(r, self.names) for r in self.node.status.reasons]

    def sentences(self, reasons: Sequence[math.Reason]) -> list[str]:
        return [reason_sentence(r, self.names) for r in reasons]


CHECK_IN_HISTORY = 20  # per KR, newest first


def objective_explanation(
    objective: Objective, *, today: date | None = None
) -> ObjectiveExplanation:
    """Each KR's value, baseline, target, weight, progress and contribution; history; reasons."""
    today = today or timezones.today_of(objective.workspace_id)
    workspace = objective.workspace
    scope = _live_objectives_within(workspace, [objective.period])
    objectives = list(scope)
    if objective.pk not in {o.pk for o in objectives}:  # archived: explain it on its own
        objectives.append(objective)
    key_results = _key_results_of(Objective.objects.filter(pk__in=[o.pk for o in objectives]))
    nodes = build_nodes(workspace, objectives, key_results, today)
    node = nodes[objective.pk]
    own_ids = [kr.key_result.pk for kr in node.key_results]
    history: dict[int, list[CheckIn]] = {kr_id: [] for kr_id in own_ids}
    check_ins = (
        CheckIn.objects.for_workspace(workspace)
        .filter(key_result_id__in=own_ids)
        .select_related("author")
        .order_by("-created_at", "-id")
    )
    for check_in in check_ins:
        if len(history[check_in.key_result_id]) < CHECK_IN_HISTORY:
            history[check_in.key_result_id].append(check_in)
    aligned = sorted(
        (n for n in nodes.values() if n.objective.parent_id == objective.pk),
        key=_sort_key,
    )
    comments = list(
        ObjectiveComment.objects.for_workspace(workspace)
        .filter(objective=objective)
        .select_related("author")
    )
    return ObjectiveExplanation(
        objective=objective,
        node=node,
        key_results=[
            KeyResultExplanation(kr, history[kr.key_result.pk]) for kr in node.key_results
        ],
        aligned=aligned,
        comments=comments,
        names=_names(objectives, key_results),
    )


def periods_for_workspace(workspace: Workspace) -> QuerySet[Period]:
    """Periods, newest first."""
    return Period.objects.for_workspace(workspace).order_by("-start", "-id")


def current_period(workspace: Workspace, *, today: date | None = None) -> Period | None:
    """The period containing today, else the latest one that started, else the first ahead."""
    today = today or timezones.today(workspace)
    periods = Period.objects.for_workspace(workspace)
    return (
        periods.containing(today).order_by("-start").first()
        or periods.filter(start__lte=today).order_by("-start").first()
        or periods.order_by("start").first()
    )
