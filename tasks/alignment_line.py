"""The task's alignment line: task → roadmap item → key result(s) → objective → parents.

Every number on the line is a read-model row (`readmodel.selectors.rollups_for`), read in one
bulk call for the item, its key results and every objective of their chains: the same rows the
OKR pages, the roadmap item page and the dashboards show, so the line cannot disagree with
them. Nothing here computes progress or status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from alignment.models import Workspace
from okrs.health import STATUS_LABELS
from okrs.models import Objective
from readmodel.models import Basis, NodeKind
from readmodel.selectors import RollupRow, oldest_as_of, rollups_for
from roadmaps.models import KeyResultLink, RoadmapItem
from tasks.models import Task

ITEM, KEY_RESULT, OBJECTIVE = (
    NodeKind.ROADMAP_ITEM.value,
    NodeKind.KEY_RESULT.value,
    NodeKind.OBJECTIVE.value,
)
BASIS_LABELS = dict(Basis.choices)
# Objective fields the line shows (title, link) and walks (parent): the rest stays unread.
_OBJECTIVE_FIELDS = ("id", "workspace_id", "period_id", "parent_id", "title")


@dataclass
class LineStep:
    """One step of the line, with the numbers of its read-model row (None: no row yet)."""

    kind: str  # roadmap_item | key_result | objective
    obj: Any
    row: RollupRow | None = None
    weight: Decimal | None = None  # key results: the weight of the item's link to it

    @property
    def progress(self) -> float | None:
        return None if self.row is None else self.row.progress

    @property
    def percent(self) -> int | None:
        return None if self.row is None else self.row.percent

    @property
    def status(self) -> str | None:
        return None if self.row is None else self.row.status

    @property
    def status_label(self) -> str | None:
        return None if self.row is None else STATUS_LABELS.get(self.row.status, self.row.status)

    @property
    def basis(self) -> str | None:
        """What the number counted, in words (e.g. "Points", "Linked work")."""
        return None if self.row is None else BASIS_LABELS.get(self.row.basis, self.row.basis)


@dataclass
class AlignmentLine:
    task: Task
    item: RoadmapItem | None
    key_results: list[LineStep]
    # For each KR step, its objective followed by that objective's ancestors, top last.
    objectives: dict[int, list[LineStep]]
    item_step: LineStep | None = None

    @property
    def is_aligned(self) -> bool:
        return self.item is not None and bool(self.key_results)

    @property
    def as_of(self) -> datetime | None:
        """When the oldest number on the line was computed."""
        steps = [self.item_step, *self.key_results]
        steps += [s for chain in self.objectives.values() for s in chain]
        return oldest_as_of(s.row for s in steps if s is not None)


def _objectives_up_from(workspace: Workspace, links: list[KeyResultLink]) -> dict[int, Objective]:
    """The linked KRs' objectives and all their ancestors.

    One query for the objectives of the periods involved (parents nearly always share the
    period); one more per level only for a parent in another period.
    """
    period_ids = {link.key_result.objective.period_id for link in links}
    shaped = Objective.objects.for_workspace(workspace).only(*_OBJECTIVE_FIELDS)
    found = {o.pk: o for o in shaped.filter(period_id__in=period_ids)}
    missing = {o.parent_id for o in found.values() if o.parent_id and o.parent_id not in found}
    while missing:
        more = {o.pk: o for o in shaped.filter(pk__in=missing)}
        found.update(more)
        missing = {o.parent_id for o in more.values() if o.parent_id and o.parent_id not in found}
        missing -= set(found)
    return found


def _chain(objectives: dict[int, Objective], start_id: int) -> list[Objective]:
    chain: list[Objective] = []
    node = objectives.get(start_id)
    while node is not None and node not in chain:
        chain.append(node)
        node = objectives.get(node.parent_id) if node.parent_id else None
    return chain


def alignment_line(workspace: Workspace, task: Task, *, today: date | None = None) -> AlignmentLine:
    """task → roadmap item → key result(s) → objective → parent objectives, each with the
    progress and status of its read-model row. Queries: the links, the objectives, and one
    bulk read of the rows (readmodel.selectors.rollups_for, which keeps them fresh)."""
    item = task.roadmap_item
    if item is None:
        return AlignmentLine(task=task, item=None, key_results=[], objectives={})
    links = list(
        KeyResultLink.objects.for_workspace(workspace)
        .filter(item=item)
        .select_related("key_result__objective")
        .order_by("-weight", "pk")
    )
    objectives = _objectives_up_from(workspace, links) if links else {}
    chains = {
        link.key_result_id: _chain(objectives, link.key_result.objective_id) for link in links
    }
    rows = rollups_for(
        workspace.pk,
        {
            ITEM: [item.pk],
            KEY_RESULT: [link.key_result_id for link in links],
            OBJECTIVE: {o.pk for chain in chains.values() for o in chain},
        },
        today=today,
    )
    return AlignmentLine(
        task=task,
        item=item,
        item_step=LineStep(kind=ITEM, obj=item, row=rows.get((ITEM, item.pk))),
        key_results=[
            LineStep(
                kind=KEY_RESULT,
                obj=link.key_result,
                row=rows.get((KEY_RESULT, link.key_result_id)),
                weight=link.weight,
            )
            for link in links
        ],
        objectives={
            kr_id: [LineStep(kind=OBJECTIVE, obj=o, row=rows.get((OBJECTIVE, o.pk))) for o in chain]
            for kr_id, chain in chains.items()
        },
    )
