"""Checking an OKR file's rows against the workspace before anything is written
(`okr_csv.preview`): each line an `OkrRow`, each objective a `PlannedObjective` with its rows,
teams, owners, periods and parents looked up in this workspace only (`Lookups`, loaded once).
Problems become row errors; parents are ordered before their children.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from alignment.models import Membership, Team, User
from integrations.models import ImportJob
from okrs.models import (
    BINARY_KINDS,
    KeyResultKind,
    KeyResultSource,
    Objective,
    ObjectiveLevel,
    ObjectiveStatus,
    Period,
)

OBJECTIVE_FIELDS = (
    "level",
    "team",
    "objective_owner_email",
    "objective_status",
    "parent_objective",
)
KEY_RESULT_FIELDS = (
    "kind",
    "unit",
    "baseline",
    "target",
    "current",
    "source",
    "key_result_owner_email",
)
MAX_TITLE, MAX_UNIT = 200, 20
MAX_ABS_NUMBER = Decimal("99999999999999")  # fits the KR columns (18 digits, 4 decimals)


@dataclass
class OkrRow:
    number: int  # the line in the file, header = 1
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    objective: PlannedObjective | None = None
    key_result: str = ""  # the KR title; empty on an objective-only row
    kind: str = KeyResultKind.NUMBER
    baseline: Decimal | None = None
    target: Decimal | None = None
    current: Decimal | None = None
    source: str = KeyResultSource.MANUAL
    owner: User | None = None


@dataclass
class PlannedObjective:
    """One objective of the file, from its first row; later rows may repeat but not change it."""

    period: Period
    title: str
    first_row: OkrRow
    level: str = ObjectiveLevel.TEAM
    team: Team | None = None
    owner: User | None = None
    status: str = ObjectiveStatus.ACTIVE
    parent_title: str = ""
    parent_planned: PlannedObjective | None = None
    parent_existing: Objective | None = None
    rows: list[OkrRow] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, str]:
        return (self.period.pk, self.title.casefold())


@dataclass
class OkrPreview:
    rows: list[OkrRow]
    objectives: list[PlannedObjective]  # parents before their children
    mapping_errors: list[str]

    @property
    def error_rows(self) -> list[OkrRow]:
        return [row for row in self.rows if row.errors]

    @property
    def is_valid(self) -> bool:
        return not self.mapping_errors and not self.error_rows

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def key_result_count(self) -> int:
        return sum(1 for row in self.rows if row.key_result)

    def job_errors(self) -> list[dict[str, Any]]:
        errors = [{"row": 0, "messages": self.mapping_errors}] if self.mapping_errors else []
        return errors + [{"row": r.number, "messages": r.errors} for r in self.error_rows]


class Lookups:
    """This workspace's periods, teams, members and live objectives, each loaded once."""

    def __init__(self, job: ImportJob) -> None:
        workspace = job.workspace
        self.periods = {p.name.casefold(): p for p in Period.objects.for_workspace(workspace)}
        self.teams = {team.key: team for team in Team.objects.for_workspace(workspace)}
        self.members = {
            m.user.email.lower(): m.user
            for m in Membership.objects.for_workspace(workspace).select_related("user")
        }
        self.objectives: dict[str, list[Objective]] = {}
        live = Objective.objects.for_workspace(workspace).live().select_related("period")
        for objective in live:
            self.objectives.setdefault(objective.title.casefold(), []).append(objective)


def _covers(outer: Period, inner: Period) -> bool:
    return outer.start <= inner.start and outer.end >= inner.end


def _number(row: OkrRow, name: str, column: str) -> Decimal | None:
    raw = row.values.get(name, "")
    if not raw:
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or abs(number) > MAX_ABS_NUMBER:
        row.errors.append(f"Column “{column}”: “{raw}” is not a number like 1250 or 12.5.")
        return None
    return number.quantize(Decimal("0.0001"))


def _member(row: OkrRow, name: str, lookups: Lookups) -> User | None:
    email = row.values.get(name, "").lower()
    if not email:
        return None
    user = lookups.members.get(email)
    if user is None:
        row.errors.append(f"No member of this workspace has the e-mail “{email}”.")
    return user


def check_objective(row: OkrRow, period: Period, lookups: Lookups) -> PlannedObjective:
    values = row.values
    planned = PlannedObjective(period=period, title=values["objective"], first_row=row)
    if len(planned.title) > MAX_TITLE:
        row.errors.append(f"Keep the objective title to {MAX_TITLE} characters.")
    planned.level = values.get("level", "").lower() or ObjectiveLevel.TEAM
    if planned.level not in ObjectiveLevel.values:
        row.errors.append(
            f"Level “{values['level']}” is not one of {', '.join(ObjectiveLevel.values)}."
        )
    team_key = values.get("team", "").upper()
    planned.team = lookups.teams.get(team_key)
    if team_key and planned.team is None:
        row.errors.append(f"Unknown team key “{values['team']}”.")
    elif planned.level == ObjectiveLevel.TEAM and not team_key:
        row.errors.append("A team objective needs a team key.")
    planned.owner = _member(row, "objective_owner_email", lookups)
    planned.status = values.get("objective_status", "").lower() or ObjectiveStatus.ACTIVE
    if planned.status not in (ObjectiveStatus.ACTIVE, ObjectiveStatus.DRAFT):
        row.errors.append(
            f"Objective status “{values['objective_status']}”: only active or draft objectives "
            "can be imported."
        )
    planned.parent_title = values.get("parent_objective", "")
    taken = [
        o for o in lookups.objectives.get(planned.title.casefold(), []) if o.period_id == period.pk
    ]
    if taken:
        row.errors.append(
            f"{period.name} already has an objective “{taken[0].title}”; rename it in the file "
            "or leave the row out."
        )
    return planned


def check_key_result(row: OkrRow, mapping: dict[str, str], lookups: Lookups) -> None:
    values = row.values
    row.key_result = values.get("key_result", "")
    if not row.key_result:
        if any(values.get(name) for name in KEY_RESULT_FIELDS):
            row.errors.append("Give the key result title, or leave its columns empty.")
        return
    if len(row.key_result) > MAX_TITLE:
        row.errors.append(f"Keep the key result title to {MAX_TITLE} characters.")
    _check_kind_and_source(row)
    row.baseline, row.target, row.current = (
        _number(row, name, mapping.get(name, name)) for name in ("baseline", "target", "current")
    )
    if row.kind in BINARY_KINDS:
        _check_binary(row, mapping)
    elif row.kind in KeyResultKind.values:
        _check_numeric(row, mapping)
    row.owner = _member(row, "key_result_owner_email", lookups)


def _check_kind_and_source(row: OkrRow) -> None:
    """The metric type, unit and source, each one we know (number and manual by default)."""
    values = row.values
    row.kind = values.get("kind", "").lower() or KeyResultKind.NUMBER
    if row.kind not in KeyResultKind.values:
        row.errors.append(
            f"Metric type “{values['kind']}” is not one of {', '.join(KeyResultKind.values)}."
        )
    if len(values.get("unit", "")) > MAX_UNIT:
        row.errors.append(f"Keep the unit to {MAX_UNIT} characters.")
    row.source = values.get("source", "").lower() or KeyResultSource.MANUAL
    if row.source not in KeyResultSource.values:
        row.errors.append(
            f"Source “{values['source']}” is not one of {', '.join(KeyResultSource.values)}."
        )
    elif row.kind in BINARY_KINDS and row.source == KeyResultSource.CHILDREN:
        row.errors.append("A boolean or milestone key result cannot roll up child objectives.")


def _check_numeric(row: OkrRow, mapping: dict[str, str]) -> None:
    """A number, percentage or currency KR needs a target that differs from its start."""
    if row.target is None and not row.values.get("target"):
        row.errors.append(f"Column “{mapping.get('target') or 'target'}” is empty.")
    baseline = row.baseline if row.baseline is not None else Decimal(0)
    if row.target is not None and row.target == baseline:
        row.errors.append("The target must differ from the start value.")


def _check_binary(row: OkrRow, mapping: dict[str, str]) -> None:
    """Boolean and milestone KRs run from 0 to 1; the file may repeat that (our export does)."""
    if row.baseline not in (None, 0) or row.target not in (None, 1):
        row.errors.append(
            f"A {row.kind} key result runs from 0 to 1: leave its start and target empty."
        )
    current = row.current if row.current is not None else Decimal(0)
    allowed = (0, 1) if row.kind == KeyResultKind.BOOLEAN else None
    if (allowed and current not in allowed) or not 0 <= current <= 1:
        column = mapping.get("current") or "current"
        row.errors.append(
            f"Column “{column}”: a {row.kind} key result is "
            + ("0 (not done) or 1 (done)." if allowed else "a done share from 0 to 1.")
        )
    row.current = current


def resolve_parents(planned: dict[tuple[int, str], PlannedObjective], lookups: Lookups) -> None:
    """Each parent title names exactly one objective, of this file or of the workspace, in the
    same or an enclosing period (as `objective_create` requires)."""
    for objective in planned.values():
        title = objective.parent_title.casefold()
        if not title:
            continue
        in_file = [
            p
            for p in planned.values()
            if p.title.casefold() == title
            and p is not objective
            and _covers(p.period, objective.period)
        ]
        existing = [
            o for o in lookups.objectives.get(title, []) if _covers(o.period, objective.period)
        ]
        row = objective.first_row
        if len(in_file) + len(existing) > 1:
            row.errors.append(
                f"Parent objective “{objective.parent_title}” is ambiguous: "
                f"{len(in_file) + len(existing)} objectives of that title cover "
                f"{objective.period.name}."
            )
        elif in_file:
            objective.parent_planned = in_file[0]
        elif existing:
            objective.parent_existing = existing[0]
        else:
            row.errors.append(
                f"Parent objective “{objective.parent_title}” was not found in this file or in "
                f"a period covering {objective.period.name}."
            )


def parents_first(planned: list[PlannedObjective]) -> list[PlannedObjective]:
    """Parents before children; an objective that is its own ancestor gets a row error."""
    ordered: list[PlannedObjective] = []
    placed: set[tuple[int, str]] = set()
    for objective in planned:
        chain: list[PlannedObjective] = []
        node: PlannedObjective | None = objective
        while node is not None and node.key not in placed:
            if node in chain:
                objective.first_row.errors.append(
                    f"Objective “{objective.title}” would be its own ancestor through its parents."
                )
                break
            chain.append(node)
            node = node.parent_planned
        else:
            for link in reversed(chain):
                placed.add(link.key)
                ordered.append(link)
    return ordered
