"""Every write with rules in the work domain. `grep -n "def task_"` lists how a task changes.

Split by sub-domain: rules (checks and cleaners), changes (the one write path for edits, with
its history and event), core (create, update, transition, move, assign), teams (hand to
another team), sprints, workflow (states, labels), collaboration (comments, dependencies,
merge), bulk, history_import (another tracker's past).
"""

from tasks.services.archive import task_archive, task_delete, task_restore
from tasks.services.bulk import task_bulk_update
from tasks.services.collaboration import (
    task_comment_add,
    task_comment_delete,
    task_comment_import,
    task_dependency_add,
    task_dependency_remove,
    task_mark_not_duplicate,
    task_merge,
)
from tasks.services.core import (
    reserve_numbers,
    task_assign,
    task_create,
    task_move,
    task_transition,
    task_update,
)
from tasks.services.custom_fields import task_update_with_custom_fields
from tasks.services.shaping import task_subtask_create
from tasks.services.sprints import (
    sprint_close,
    sprint_create,
    sprint_delete,
    sprint_set_capacities,
    sprint_set_capacity,
    sprint_start,
    sprint_update,
)
from tasks.services.teams import task_key_alias_add, task_move_to_team
from tasks.services.workflow import (
    label_create,
    label_delete,
    label_update,
    workflow_state_create,
    workflow_state_delete,
    workflow_state_update,
)

__all__ = [
    "reserve_numbers",
    "label_create",
    "label_delete",
    "label_update",
    "sprint_close",
    "sprint_create",
    "sprint_delete",
    "sprint_set_capacities",
    "sprint_set_capacity",
    "sprint_start",
    "sprint_update",
    "task_archive",
    "task_assign",
    "task_bulk_update",
    "task_comment_add",
    "task_comment_delete",
    "task_comment_import",
    "task_create",
    "task_delete",
    "task_dependency_add",
    "task_dependency_remove",
    "task_mark_not_duplicate",
    "task_merge",
    "task_move",
    "task_key_alias_add",
    "task_move_to_team",
    "task_restore",
    "task_subtask_create",
    "task_transition",
    "task_update",
    "task_update_with_custom_fields",
    "workflow_state_create",
    "workflow_state_delete",
    "workflow_state_update",
]
