"""What a key result's or an objective's number is made of, down to the tasks.

Every number comes from the materialized `Rollup` rows (the KR's or objective's own row and
the rows of its inputs, as listed in the row's `inputs`): the rows are the truth, this module
only lays them side by side and writes the arithmetic out. Only the per-task lines (points,
state, assignee) come from the tasks themselves; shown in full, they add up to their item's
row (a test holds that), and when a task changed after the row was computed the explanation
says so instead of showing a silently different sum.

A fixed number of queries per explanation, whatever the number of items or tasks: the row,
its input rows, the links (weights, titles), the first `TASKS_PER_ITEM` tasks of every item in
one windowed query, and the aligned objectives or latest check-ins by kind.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from alignment.models import Workspace
from dashboards.explain.lines import (
    CHECK_INS_SHOWN,
    ITEM,
    KR,
    MAX_TASKS_PER_ITEM,
    MAX_TERMS,
    OBJECTIVE,
    TASKS_PER_ITEM,
    ZERO,
    CheckInLine,
    Explanation,
    ItemLine,
    RowNumbers,
    TaskLine,
    number,
    percent,
    weight_text,
)
from dashboards.explain.rows import (
    adds_up,
    explain_url,
    input_ids,
    input_rows,
    mean_arithmetic,
    node_row,
    objective_parts,
)
from dashboards.reasons import _Urls
from okrs.models import BINARY_KINDS, CheckIn, KeyResult, KeyResultKind, KeyResultSource
from readmodel.models import Basis, Rollup
from roadmaps.models import KeyResultLink
from tasks.models import StateCategory, Task


def _tasks_of_items(
    workspace: Workspace, item_ids: list[int], *, limit: int
) -> dict[int, tuple[list[Task], int]]:
    """The first `limit` tasks of each item (by state, then rank) and each item's task count,
    in one windowed query."""
    if not item_ids:
        return {}
    by_item = [F("roadmap_item_id")]
    tasks = (
        Task.objects.filter(workspace=workspace, roadmap_item_id__in=item_ids)
        .select_related("team", "state", "assignee")
        .annotate(
            line=Window(RowNumber(), partition_by=by_item, order_by=[F("rank"), F("id")]),
            of_item=Window(Count("id"), partition_by=by_item),
        )
        .filter(line__lte=limit)
        .order_by("roadmap_item_id", "rank", "id")
    )
    found: dict[int, tuple[list[Task], int]] = {}
    for task in tasks:
        item_id = task.roadmap_item_id
        assert item_id is not None
        lines, _ = found.get(item_id, ([], 0))
        lines.append(task)
        found[item_id] = (lines, task.of_item)  # type: ignore[attr-defined]
    return found


def _task_line(task: Task, urls: _Urls) -> TaskLine:
    key = f"{task.team.key}-{task.number}"
    return TaskLine(
        id=task.pk,
        key=key,
        title=task.title,
        state=task.state.name,
        category=task.state_category,
        points=task.estimate,
        is_done=task.state_category == StateCategory.DONE,
        is_counted=task.state_category != StateCategory.CANCELED,
        assignee=task.assignee.display_name if task.assignee else "",
        url=urls("tasks:task", "key", key),
    )


def key_result_explanation(
    workspace: Workspace, key_result: KeyResult, *, item_id: int | None = None
) -> Explanation:
    """A key result's number from its row: its linked work down to the tasks, the objectives
    aligned under it, or its own values and latest check-ins.

    `item_id` lists every task (up to MAX_TASKS_PER_ITEM) of that one linked item: the
    "show all" of a long item.
    """
    row = node_row(workspace, KR, key_result.pk)
    numbers = RowNumbers.of(row) if row else None
    explanation = Explanation(
        kind=KR,
        id=key_result.pk,
        title=key_result.title,
        source=key_result.source,
        row=numbers,
        summary="",
        arithmetic="",
        url=explain_url(workspace, KR, key_result.pk),
    )
    if row is None:
        explanation.summary = "This number has not been computed yet; it appears within a minute."
        return explanation
    inputs = input_rows(workspace, row)
    basis = row.basis
    if basis == Basis.TASKS or (
        key_result.source == KeyResultSource.TASKS and key_result.kind not in BINARY_KINDS
    ):
        _linked_work(workspace, key_result, row, inputs, explanation, item_id=item_id)
    elif basis == Basis.CHILDREN:
        _aligned(workspace, row, inputs, explanation)
    else:
        _own_values(key_result, row, explanation)
    return explanation


def _linked_work(
    workspace: Workspace,
    key_result: KeyResult,
    row: Rollup,
    inputs: dict[tuple[str, int], Rollup],
    explanation: Explanation,
    *,
    item_id: int | None,
) -> None:
    item_ids = input_ids(row, ITEM)
    # Every link, not only the row's: one added or removed since shows the row is due.
    links = {
        link.item_id: link
        for link in KeyResultLink.objects.filter(
            workspace=workspace, key_result=key_result
        ).select_related("item")
    }
    shown_ids = [i for i in item_ids if item_id is None or i == item_id]
    limit = MAX_TASKS_PER_ITEM if item_id is not None else TASKS_PER_ITEM
    tasks = _tasks_of_items(workspace, shown_ids, limit=limit)
    urls = _Urls(workspace.slug)
    for pk in item_ids:
        lines, count = tasks.get(pk, ([], 0))
        explanation.items.append(
            _item_line(
                workspace,
                pk,
                links.get(pk),
                inputs.get((ITEM, pk)),
                tasks=[_task_line(t, urls) for t in lines],
                task_count=count,
                tasks_url=f"{explanation.url}?item={pk}",
            )
        )
    explanation.reconciles = set(links) == set(item_ids) and all(
        i.row is not None for i in explanation.items
    )
    if row.basis != Basis.TASKS:
        _explain_recorded_value(key_result, row, explanation, linked=bool(item_ids))
        return
    if row.total_points > 0:
        _explain_points(row, explanation)
        if not _weighted_sums_match(explanation.items, row):
            explanation.reconciles = False
    else:
        _explain_counts(row, explanation)


def _item_line(
    workspace: Workspace,
    pk: int,
    link: KeyResultLink | None,
    item_row: Rollup | None,
    *,
    tasks: list[TaskLine],
    task_count: int,
    tasks_url: str,
) -> ItemLine:
    """One linked item's line; an item unlinked since the row was computed keeps its id."""
    item = link.item if link else None
    return ItemLine(
        id=pk,
        title=item.title if item else f"Roadmap item {pk} (unlinked since)",
        status=item.status if item else "",
        url=reverse(
            "roadmaps:item",
            kwargs={"slug": workspace.slug, "roadmap_id": item.roadmap_id, "item_id": pk},
        )
        if item
        else None,
        weight=link.weight if link else ZERO,
        row=RowNumbers.of(item_row) if item_row else None,
        tasks=tasks,
        task_count=task_count,
        tasks_url=tasks_url,
    )


def _explain_recorded_value(
    key_result: KeyResult, row: Rollup, explanation: Explanation, *, linked: bool
) -> None:
    """Nothing measurable under the links: the KR falls back to its recorded value."""
    explanation.summary = (
        "Progress comes from the linked work, but it has no tasks to count yet, so the "
        "number is the value recorded when the key result was set up."
    )
    explanation.arithmetic = _value_arithmetic(key_result, row)
    explanation.next_step = (
        "Link roadmap items to this key result and add estimated tasks under them."
        if not linked
        else "Add tasks (with estimates) under the linked roadmap items."
    )


def _explain_points(row: Rollup, explanation: Explanation) -> None:
    items = explanation.items
    explanation.summary = (
        "Progress is the link-weighted share of done points of the tasks under the "
        "linked roadmap items (canceled tasks never count)."
    )
    terms_done = " + ".join(f"{weight_text(i.weight)} × {number(_dp(i))}" for i in items)
    terms_total = " + ".join(f"{weight_text(i.weight)} × {number(_tp(i))}" for i in items)
    spelled = f" = ({terms_done}) / ({terms_total})" if 1 < len(items) <= MAX_TERMS else ""
    explanation.arithmetic = (
        f"Σ weight × done points / Σ weight × total points{spelled} = "
        f"{number(row.done_points)} / {number(row.total_points)} = {percent(row.progress)}%"
    )


def _explain_counts(row: Rollup, explanation: Explanation) -> None:
    """No estimates anywhere: the rollup counts tasks, weighted the same way."""
    items = explanation.items
    done = sum((i.weight * (i.row.done_count if i.row else 0) for i in items), ZERO)
    total = sum((i.weight * (i.row.total_count if i.row else 0) for i in items), ZERO)
    explanation.summary = (
        "No linked task has an estimate, so progress is the link-weighted share of done "
        "tasks (canceled tasks never count)."
    )
    explanation.arithmetic = (
        f"Σ weight × done tasks / Σ weight × total tasks = {number(done)} / "
        f"{number(total)} = {percent(row.progress)}%"
    )
    explanation.next_step = "Estimate the tasks to weigh big ones more than small ones."


def _weighted_sums_match(items: list[ItemLine], row: Rollup) -> bool:
    """The items' weighted done and total points are the row's (to the row's precision)."""
    weighted_done = sum((i.weighted_done for i in items), ZERO)
    weighted_total = sum((i.weighted_total for i in items), ZERO)
    return (
        weighted_done.quantize(Decimal("0.001")) == row.done_points
        and weighted_total.quantize(Decimal("0.001")) == row.total_points
    )


def _dp(item: ItemLine) -> Decimal:
    return item.row.done_points if item.row else ZERO


def _tp(item: ItemLine) -> Decimal:
    return item.row.total_points if item.row else ZERO


def _aligned(
    workspace: Workspace,
    row: Rollup,
    inputs: dict[tuple[str, int], Rollup],
    explanation: Explanation,
) -> None:
    ids = input_ids(row, OBJECTIVE)
    explanation.parts = objective_parts(workspace, ids, inputs)
    explanation.summary = (
        "Progress is the weighted mean of the objectives aligned under this key result."
    )
    if not ids:
        explanation.next_step = (
            "Align team objectives under this key result (in their form: “Aligned under”)."
        )
        explanation.arithmetic = f"No aligned objectives yet = {percent(row.progress)}%"
        return
    explanation.arithmetic = mean_arithmetic(explanation.parts, row)
    explanation.reconciles = adds_up(explanation.parts, row)


def _value_arithmetic(key_result: KeyResult, row: Rollup) -> str:
    pct = percent(row.progress)
    if key_result.kind == KeyResultKind.MILESTONE and key_result.milestones:
        done = sum(float(s.get("weight", 1)) for s in key_result.milestones if s.get("done"))
        total = sum(float(s.get("weight", 1)) for s in key_result.milestones)
        return (
            f"weight of steps done / weight of all steps = {number(done)} / {number(total)}"
            f" = {pct}%"
        )
    if key_result.kind in BINARY_KINDS:
        return f"{'done' if key_result.current >= 1 else 'not done'} = {pct}%"
    baseline, target, current = key_result.baseline, key_result.target, key_result.current
    return (
        f"(current − baseline) / (target − baseline) = ({number(current)} − {number(baseline)})"
        f" / ({number(target)} − {number(baseline)}) = {number(current - baseline)} / "
        f"{number(target - baseline)} = {pct}%"
        + (" (clamped to 0–100%)" if pct in (0, 100) else "")
    )


def _own_values(key_result: KeyResult, row: Rollup, explanation: Explanation) -> None:
    explanation.check_ins = [
        CheckInLine(
            created_at=c.created_at,
            value=c.value,
            confidence=c.confidence,
            note=c.note,
            author=c.author.display_name if c.author else "",
        )
        for c in CheckIn.objects.filter(workspace_id=key_result.workspace_id, key_result=key_result)
        .select_related("author")
        .order_by("-created_at", "-id")[:CHECK_INS_SHOWN]
    ]
    if key_result.kind == KeyResultKind.MILESTONE and key_result.milestones:
        explanation.summary = "Progress is the weighted share of the steps done."
    elif key_result.kind in BINARY_KINDS:
        explanation.summary = "Progress is 100% once done, 0% until then."
    else:
        explanation.summary = (
            "Progress is how far the latest checked-in value has moved from the baseline "
            "towards the target."
        )
    explanation.arithmetic = _value_arithmetic(key_result, row)
    if not explanation.check_ins:
        explanation.next_step = "Check in a value to move this number."
