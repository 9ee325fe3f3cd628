"""The records a summary may cite, with their numbers, read from the read model.

Every number comes from `readmodel.selectors.rollups_for` (progress, expected pace, status,
done/total counts and points) or from the rows themselves (a KR's baseline, target, current;
a check-in's value). Queries are scoped to what the asking member may see (`visible_to`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from alignment.models import Membership
from assistant.checker import Record, Ref, numbers_of
from okrs.models import CheckIn, KeyResult, Objective, ObjectiveStatus
from readmodel.selectors import RollupRow, rollups_for
from tasks.models import Sprint

STATUS_WORDS = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track"}


@dataclass
class Facts:
    records: dict[Ref, Record] = field(default_factory=dict)

    def add(self, record: Record) -> Record:
        self.records[(record.kind, record.pk)] = record
        return record


def _rollup_numbers(row: RollupRow | None) -> frozenset[float]:
    if row is None:
        return frozenset()
    return numbers_of(
        row.percent,
        row.expected_percent,
        row.done_count,
        row.total_count,
        row.done_points,
        row.total_points,
        row.total_count - row.done_count,
        row.total_points - row.done_points,
    )


@dataclass(frozen=True)
class ObjectiveFact:
    objective: Objective
    row: RollupRow | None
    record: Record

    @property
    def status(self) -> str:
        return STATUS_WORDS.get(self.row.status, self.row.status) if self.row else "unknown"


@dataclass(frozen=True)
class KeyResultFact:
    key_result: KeyResult
    row: RollupRow | None
    record: Record
    check_ins: tuple[CheckIn, ...] = ()


def _objective_url(member: Membership, objective_id: int) -> str:
    return reverse(
        "okrs:objective_detail",
        kwargs={"slug": member.workspace.slug, "objective_id": objective_id},
    )


def objective_facts(
    facts: Facts, member: Membership, objectives: list[Objective], today: date
) -> list[ObjectiveFact]:
    rows = rollups_for(member.workspace_id, {"objective": [o.pk for o in objectives]}, today=today)
    found = []
    for objective in objectives:
        row = rows.get(("objective", objective.pk))
        record = facts.add(
            Record(
                "objective",
                objective.pk,
                objective.title,
                _rollup_numbers(row),
                _objective_url(member, objective.pk),
            )
        )
        found.append(ObjectiveFact(objective, row, record))
    return found


def key_result_facts(
    facts: Facts, member: Membership, objective: Objective, today: date, since: date
) -> list[KeyResultFact]:
    krs = list(KeyResult.objects.visible_to(member).filter(objective=objective))
    rows = rollups_for(member.workspace_id, {"key_result": [kr.pk for kr in krs]}, today=today)
    recent: dict[int, list[CheckIn]] = {}
    for check_in in (
        CheckIn.objects.visible_to(member)
        .filter(key_result__in=krs, created_at__date__gte=since, created_at__date__lte=today)
        .order_by("created_at", "id")
    ):
        recent.setdefault(check_in.key_result_id, []).append(check_in)
    found = []
    for kr in krs:
        row = rows.get(("key_result", kr.pk))
        values = [c.value for c in recent.get(kr.pk, [])]
        record = facts.add(
            Record(
                "kr",
                kr.pk,
                kr.title,
                _rollup_numbers(row)
                | numbers_of(kr.baseline, kr.target, kr.current, len(values), *values),
                _objective_url(member, objective.pk) + f"#kr-{kr.pk}",
            )
        )
        found.append(KeyResultFact(kr, row, record, tuple(recent.get(kr.pk, []))))
    return found


def active_objectives(member: Membership, today: date, limit: int = 12) -> list[Objective]:
    """The workspace's active objectives of the periods running today, company level first."""
    return list(
        Objective.objects.visible_to(member)
        .filter(status=ObjectiveStatus.ACTIVE, period__start__lte=today, period__end__gte=today)
        .order_by("level", "title", "pk")[:limit]
    )


def sprint_record(
    facts: Facts, member: Membership, sprint: Sprint, today: date
) -> RollupRow | None:
    row = rollups_for(member.workspace_id, {"sprint": [sprint.pk]}, today=today).get(
        ("sprint", sprint.pk)
    )
    facts.add(
        Record(
            "sprint",
            sprint.pk,
            sprint.name,
            _rollup_numbers(row) | numbers_of((sprint.end_date - sprint.start_date).days + 1),
            reverse(
                "tasks:sprint",
                kwargs={
                    "slug": member.workspace.slug,
                    "team_id": sprint.team_id,
                    "sprint_id": sprint.pk,
                },
            ),
        )
    )
    return row


def local_today() -> date:
    return timezone.localdate()


def week_before(today: date) -> date:
    return today - timedelta(days=6)
