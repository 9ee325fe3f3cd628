"""Reads for shaping work on the task page: sub-task progress and the task picker."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from alignment.models import Membership
from tasks.models import StateCategory, Task, parse_key

PICKER_LIMIT = 10


@dataclass(frozen=True)
class SubtaskProgress:
    """Done/total of the sub-tasks listed, by count and by points (canceled ones left out:
    dropped work is neither done nor to do)."""

    done: int
    total: int
    done_points: Decimal
    total_points: Decimal

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def subtask_progress(subtasks: Iterable[Task]) -> SubtaskProgress:
    """Counted from the rows the page lists (already visible_to the viewer), no extra query."""
    counted = [t for t in subtasks if t.state_category != StateCategory.CANCELED]
    finished = [t for t in counted if t.state_category == StateCategory.DONE]
    return SubtaskProgress(
        done=len(finished),
        total=len(counted),
        done_points=sum((t.estimate or Decimal(0) for t in finished), Decimal(0)),
        total_points=sum((t.estimate or Decimal(0) for t in counted), Decimal(0)),
    )


def task_picker(
    viewer: Membership, query: str, *, exclude: Sequence[int] = (), limit: int = PICKER_LIMIT
) -> list[Task]:
    """Tasks `viewer` may see (private teams, guests) whose key or title matches `query`:
    the exact key first, then the newest tasks whose title contains the text."""
    text = " ".join(query.split())[:100]
    if not text:
        return []
    tasks = (
        Task.objects.visible_to(viewer)
        .exclude(pk__in=list(exclude))
        .select_related("team", "state")
    )
    found: list[Task] = []
    parsed = parse_key(text)
    if parsed is not None:
        exact = tasks.filter(team__key=parsed[0], number=parsed[1]).first()
        if exact is not None:
            found.append(exact)
    condition = Q(title__icontains=text)
    if text.isalnum() and not text.isdigit() and len(text) <= 10:
        condition |= Q(team__key__iexact=text)  # "ENG": that team's tasks
    if text.isdigit():
        condition |= Q(number=int(text))  # "12": ENG-12, DES-12…
    rest = tasks.filter(condition).exclude(pk__in=[t.pk for t in found])
    found += list(rest.order_by("-created_at", "-pk")[: limit - len(found)])
    return found
