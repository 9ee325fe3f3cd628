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

from dashboards.explain.key_results import key_result_explanation
from dashboards.explain.lines import Explanation, ItemLine, Part, TaskLine
from dashboards.explain.objectives import objective_explanation

__all__ = [
    "Explanation",
    "ItemLine",
    "Part",
    "TaskLine",
    "key_result_explanation",
    "objective_explanation",
]
