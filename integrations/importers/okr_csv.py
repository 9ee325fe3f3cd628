"""Objectives and key results from a CSV file: one row per key result, its objective's columns
repeated on each of its rows (the shape of our own OKR export, so an export imports back).

Rows with the same period and objective title are one objective; an objective without key
results is one row with the key result columns empty. Periods must exist (they carry dates we
cannot guess), and teams, owners and parents are looked up in this workspace only. Everything
is checked before anything is written, then created through `okrs.services` (so audit entries,
versions and events are the same as in the app), parents before their children.
"""

from __future__ import annotations

from decimal import Decimal

from alignment.errors import DomainError
from alignment.models import Membership
from integrations.importers import tabular
from integrations.importers.base import RowFailed, Tick, error_text, execute
from integrations.importers.okr_checks import (
    OBJECTIVE_FIELDS,
    Lookups,
    OkrPreview,
    OkrRow,
    PlannedObjective,
    check_key_result,
    check_objective,
    parents_first,
    resolve_parents,
)
from integrations.models import ImportJob
from okrs import services as okr_services
from okrs.models import (
    BINARY_KINDS,
    Objective,
    ObjectiveLevel,
    ObjectiveStatus,
)

# Our field -> header names (squashed: lower-case letters and digits) that mean it.
FIELDS: dict[str, tuple[str, ...]] = {
    "period": ("period", "quarter", "cycle"),
    "objective": ("objective", "objectivetitle"),
    "level": ("level", "objectivelevel"),
    "team": ("team", "teamkey"),
    "objective_owner_email": ("objectiveowneremail", "objectiveowner", "owneremail", "owner"),
    "objective_status": ("objectivestatus", "status"),
    "parent_objective": ("parentobjective", "parent", "parentobjectivetitle", "alignedto"),
    "key_result": ("keyresult", "keyresulttitle", "kr", "krtitle"),
    "kind": ("kind", "metrictype", "metric", "type"),
    "unit": ("unit",),
    "baseline": ("baseline", "start", "startvalue"),
    "target": ("target", "targetvalue"),
    "current": ("current", "currentvalue"),
    "source": ("source", "progresssource"),
    "key_result_owner_email": ("keyresultowneremail", "keyresultowner", "krowneremail", "krowner"),
}
REQUIRED = ("period", "objective")
LABELS = {
    "period": "Period (name)",
    "objective": "Objective title",
    "level": "Level (company, team, individual)",
    "team": "Team key",
    "objective_owner_email": "Objective owner e-mail",
    "objective_status": "Objective status (active, draft)",
    "parent_objective": "Parent objective title",
    "key_result": "Key result title",
    "kind": "Metric type (number, percentage, currency, boolean, milestone)",
    "unit": "Unit",
    "baseline": "Start value (baseline)",
    "target": "Target value",
    "current": "Current value",
    "source": "Progress source (manual, tasks, children)",
    "key_result_owner_email": "Key result owner e-mail",
}
TEMPLATE_HEADER = [name for name in FIELDS if name != "objective_status"]
TEMPLATE_ROWS: list[list[object]] = [
    ["Q3 2026", "Grow revenue sustainably", "company", "", "ceo@example.com", "",
     "Reach monthly recurring revenue", "currency", "EUR", "120000", "150000", "126500",
     "manual", "cfo@example.com"],
    ["Q3 2026", "Grow revenue sustainably", "company", "", "ceo@example.com", "",
     "Keep monthly churn low", "percentage", "%", "3.1", "2", "2.8", "manual", ""],
    ["Q3 2026", "Make checkout effortless", "team", "ENG", "lead@example.com",
     "Grow revenue sustainably", "Cut checkout p95 latency", "number", "ms", "900", "300",
     "850", "manual", "dev@example.com"],
    ["Q3 2026", "Make checkout effortless", "team", "ENG", "lead@example.com",
     "Grow revenue sustainably", "Ship the one-page checkout", "boolean", "", "", "", "0",
     "manual", ""],
]  # fmt: skip


def decode(data: bytes) -> str:
    return tabular.decode(data)


def header_of(text: str) -> list[str]:
    return tabular.header_of(text, noun="objectives")


def guess_mapping(header: list[str]) -> dict[str, str]:
    return tabular.guess_mapping(header, FIELDS)


DEFAULTS = {"level": ObjectiveLevel.TEAM, "objective_status": ObjectiveStatus.ACTIVE}


def _same(name: str, one: str, other: str) -> bool:
    """Whether two cells mean the same objective value (case and defaults aside)."""
    default = DEFAULTS.get(name, "")
    return (one.casefold() or default) == (other.casefold() or default)


def _check_repeat(row: OkrRow, planned: PlannedObjective) -> None:
    """A later row of an objective may leave its columns empty, never change them."""
    first = planned.first_row
    for name in OBJECTIVE_FIELDS:
        given = row.values.get(name, "")
        if given and not _same(name, given, first.values.get(name, "")):
            row.errors.append(
                f"{LABELS[name].split(' (')[0]} “{given}” differs from line {first.number}, "
                f"which gives objective “{planned.title}” "
                f"“{first.values.get(name, '') or DEFAULTS.get(name, '')}”."
            )


def preview(job: ImportJob) -> OkrPreview:
    """Every row checked against this workspace; nothing is written."""
    mapping: dict[str, str] = job.mapping or {}
    rows = tabular.read_rows(job.source)
    header = [cell.strip() for cell in rows[0]] if rows else []
    mapping_errors = tabular.mapping_errors(mapping, header, LABELS, REQUIRED)
    if mapping_errors:
        return OkrPreview(rows=[], objectives=[], mapping_errors=mapping_errors)
    lookups = Lookups(job)
    planned: dict[tuple[int, str], PlannedObjective] = {}
    result: list[OkrRow] = []
    for number, values in tabular.mapped_rows(rows, mapping):
        row = OkrRow(number=number, values=values)
        result.append(row)
        period = lookups.periods.get(values.get("period", "").casefold())
        if not values.get("period"):
            row.errors.append("Give the period's name.")
        elif period is None:
            row.errors.append(
                f"No period named “{values['period']}” in this workspace; create it on the "
                "OKRs page first."
            )
        elif period.is_closed:
            row.errors.append(f"Period “{period.name}” is closed; nothing can be added to it.")
        if not values.get("objective"):
            row.errors.append("Give the objective's title.")
        check_key_result(row, mapping, lookups)
        if period is None or not values.get("objective"):
            continue
        key = (period.pk, values["objective"].casefold())
        if key in planned:
            _check_repeat(row, planned[key])
        else:
            planned[key] = check_objective(row, period, lookups)
        row.objective = planned[key]
        twin = next(
            (r for r in planned[key].rows if row.key_result and r.key_result == row.key_result),
            None,
        )
        if twin is not None:
            row.errors.append(
                f"Key result “{row.key_result}” is already on line {twin.number} for this "
                "objective."
            )
        planned[key].rows.append(row)
    resolve_parents(planned, lookups)
    ordered = parents_first(list(planned.values()))
    return OkrPreview(rows=result, objectives=ordered, mapping_errors=[])


def write(actor: Membership, checked: OkrPreview, tick: Tick) -> None:
    """Create each objective (parents first), then its key results, through the OKR services."""
    created: dict[tuple[int, str], Objective] = {}
    done = 0
    for planned in checked.objectives:
        parent = planned.parent_existing
        if planned.parent_planned is not None:
            parent = created[planned.parent_planned.key]
        try:
            objective = okr_services.objective_create(
                actor=actor,
                period=planned.period,
                title=planned.title,
                level=planned.level,
                team=planned.team,
                owner=planned.owner,
                parent=parent,
                status=planned.status,
            )
        except DomainError as error:
            raise RowFailed(planned.first_row.number, error_text(error)) from error
        created[planned.key] = objective
        for row in planned.rows:
            if row.key_result:
                _create_key_result(actor, objective, row)
            done += 1
            tick(done)


def _create_key_result(actor: Membership, objective: Objective, row: OkrRow) -> None:
    numeric = row.kind not in BINARY_KINDS
    try:
        okr_services.key_result_create(
            actor=actor,
            objective=objective,
            title=row.key_result,
            kind=row.kind,
            unit=row.values.get("unit", ""),
            baseline=(row.baseline or Decimal(0)) if numeric else 0,
            target=row.target if numeric else 1,
            current=row.current,
            source=row.source,
            owner=row.owner,
        )
    except DomainError as error:
        raise RowFailed(row.number, error_text(error)) from error


def run(job_id: int) -> None:
    """Create every objective and key result in one transaction; on any failure, nothing."""
    execute(job_id, preview=preview, write=write)
