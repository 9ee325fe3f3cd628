"""Domain events the OKR services publish after commit (see `alignment.events`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectiveChanged:
    workspace_id: int
    objective_id: int
    verb: str  # created | updated | reparented | archived
    actor_id: int | None = None  # the user who made the change; None for the system


@dataclass(frozen=True)
class KeyResultChanged:
    workspace_id: int
    key_result_id: int
    objective_id: int
    verb: str  # created | updated | deleted
    actor_id: int | None = None


@dataclass(frozen=True)
class KeyResultCheckedIn:
    workspace_id: int
    key_result_id: int
    objective_id: int
    check_in_id: int
    actor_id: int | None = None


@dataclass(frozen=True)
class PeriodClosed:
    workspace_id: int
    period_id: int
    carried_into_period_id: int | None
    actor_id: int | None = None


@dataclass(frozen=True)
class OkrThresholdsChanged:
    """A workspace's status thresholds changed: every OKR status may change with them."""

    workspace_id: int
    actor_id: int | None = None


@dataclass(frozen=True)
class PeriodChanged:
    """A period was created, re-dated, renamed or deleted: which objectives are current moves."""

    workspace_id: int
    period_id: int
    verb: str  # created | updated | deleted
    actor_id: int | None = None
