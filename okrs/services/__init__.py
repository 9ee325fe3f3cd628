"""Writes with rules for OKRs. Keyword-only, actor first, one transaction each.

Split by sub-domain (periods, objectives, key results); import from here.
"""

from okrs.services._common import UNSET
from okrs.services.key_results import (
    clean_steps,
    key_result_check_in,
    key_result_create,
    key_result_delete,
    key_result_update,
)
from okrs.services.objectives import (
    objective_archive,
    objective_comment_add,
    objective_create,
    objective_reparent,
    objective_update,
)
from okrs.services.periods import period_close, period_create, period_delete, period_update

__all__ = [
    "UNSET",
    "clean_steps",
    "key_result_check_in",
    "key_result_create",
    "key_result_delete",
    "key_result_update",
    "objective_archive",
    "objective_comment_add",
    "objective_create",
    "objective_reparent",
    "objective_update",
    "period_close",
    "period_create",
    "period_delete",
    "period_update",
]
