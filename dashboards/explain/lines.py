"""What an explanation holds: the rows' numbers, item and task lines, weighted parts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from readmodel.models import Basis, NodeKind, Rollup

TASKS_PER_ITEM = 50  # a page's first look; "show all" lists up to MAX_TASKS_PER_ITEM
MAX_TASKS_PER_ITEM = 200  # the house cap for any list
CHECK_INS_SHOWN = 5
MAX_TERMS = 8  # the arithmetic spells each term out up to this many inputs
ITEM, KR, OBJECTIVE = (
    NodeKind.ROADMAP_ITEM.value,
    NodeKind.KEY_RESULT.value,
    NodeKind.OBJECTIVE.value,
)
ZERO = Decimal(0)


def number(value: Decimal | float | int | None) -> str:
    """A number as the arithmetic shows it: "34.0", "2.5", "0.125" (no exponent)."""
    if value is None:
        return "—"
    quantized = Decimal(str(value)).quantize(Decimal("0.001")).normalize()
    text = format(quantized, "f")
    return text if "." in text else f"{text}.0"


def weight_text(value: Decimal | float) -> str:
    """Weights as people set them: "1", "0.5", "2.25"."""
    return format(Decimal(str(value)).normalize(), "f")


def percent(value: Decimal | float) -> int:
    return round(float(value) * 100)


# ---- what an explanation holds ---------------------------------------------------------------


@dataclass
class RowNumbers:
    """A node's materialized row, as shown (`None`: not computed yet)."""

    progress: float
    percent: int
    expected_percent: int
    basis: str
    basis_label: str
    status: str
    done_points: Decimal
    total_points: Decimal
    done_count: int
    total_count: int
    computed_at: datetime

    @classmethod
    def of(cls, row: Rollup) -> RowNumbers:
        return cls(
            progress=float(row.progress),
            percent=row.percent,
            expected_percent=row.expected_percent,
            basis=row.basis,
            basis_label=Basis(row.basis).label if row.basis in Basis.values else row.basis,
            status=row.status,
            done_points=row.done_points,
            total_points=row.total_points,
            done_count=row.done_count,
            total_count=row.total_count,
            computed_at=row.computed_at,
        )

    # Formatted for templates: `Decimal.normalize()` would print 10 as "1E+1".
    @property
    def points_text(self) -> str:
        return f"{number(self.done_points)} / {number(self.total_points)}"


@dataclass
class TaskLine:
    id: int
    key: str
    title: str
    state: str
    category: str
    points: Decimal | None
    is_done: bool
    is_counted: bool  # canceled tasks never count
    assignee: str
    url: str | None

    @property
    def points_text(self) -> str:
        return "—" if self.points is None else number(self.points)


@dataclass
class ItemLine:
    """One linked roadmap item: its link weight, its row, and its tasks."""

    id: int
    title: str
    status: str
    url: str | None
    weight: Decimal
    row: RowNumbers | None
    tasks: list[TaskLine] = field(default_factory=list)
    task_count: int = 0  # every task under the item, canceled included
    tasks_url: str | None = None  # the explanation listing all of this item's tasks

    @property
    def weight_label(self) -> str:
        return weight_text(self.weight)

    @property
    def weighted_text(self) -> str:
        return f"{number(self.weighted_done)} / {number(self.weighted_total)}"

    @property
    def weighted_done(self) -> Decimal:
        return self.weight * (self.row.done_points if self.row else ZERO)

    @property
    def weighted_total(self) -> Decimal:
        return self.weight * (self.row.total_points if self.row else ZERO)

    @property
    def is_truncated(self) -> bool:
        return len(self.tasks) < self.task_count

    def sums(self) -> tuple[Decimal, Decimal, int, int]:
        """Done points, total points, done and total count of the task lines shown."""
        counted = [t for t in self.tasks if t.is_counted]
        return (
            sum((t.points or ZERO for t in counted if t.is_done), ZERO),
            sum((t.points or ZERO for t in counted), ZERO),
            sum(1 for t in counted if t.is_done),
            len(counted),
        )

    @property
    def tasks_changed(self) -> bool:
        """Every task is shown and they no longer add up to the row: it is being refreshed."""
        if self.row is None or self.is_truncated:
            return False
        row = self.row
        return self.sums() != (row.done_points, row.total_points, row.done_count, row.total_count)


@dataclass
class Part:
    """One input of a weighted mean: a key result or an aligned objective."""

    kind: str  # key_result | objective
    id: int
    title: str
    url: str | None
    weight: Decimal
    share: float  # of the total weight
    progress: float | None  # from its row; None: not computed yet (counts as 0)
    status: str

    @property
    def weight_label(self) -> str:
        return weight_text(self.weight)

    @property
    def contribution(self) -> float:
        return self.share * (self.progress or 0.0)

    @property
    def share_percent(self) -> str:
        return f"{self.share * 100:.1f}"

    @property
    def contribution_points(self) -> str:
        return f"{self.contribution * 100:.1f}"

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else percent(self.progress)


@dataclass
class CheckInLine:
    created_at: datetime
    value: Decimal
    confidence: int
    note: str
    author: str

    @property
    def value_text(self) -> str:
        return number(self.value)


@dataclass
class Explanation:
    """A node's number, what it is made of, and the arithmetic that joins them."""

    kind: str  # key_result | objective
    id: int
    title: str
    source: str  # manual | tasks | children (objectives: "key_results")
    row: RowNumbers | None
    summary: str  # one sentence: how the number is computed
    arithmetic: str  # the formula with the row's numbers, "" when there is nothing to add up
    items: list[ItemLine] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)  # KRs and aligned objectives
    check_ins: list[CheckInLine] = field(default_factory=list)
    next_step: str = ""  # what to do when there is nothing to count
    reconciles: bool = True  # the parts add up to the row (False: a refresh is on its way)
    url: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for item, item_line in zip(data["items"], self.items, strict=True):
            item.update(
                weighted_done_points=item_line.weighted_done,
                weighted_total_points=item_line.weighted_total,
                tasks_truncated=item_line.is_truncated,
                tasks_changed=item_line.tasks_changed,
            )
        for part, line in zip(data["parts"], self.parts, strict=True):
            part["contribution"] = round(line.contribution, 4)
        return data
