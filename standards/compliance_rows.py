"""Writing compliance into the read model (`readmodel.models.ComplianceDay`).

Task standards: one row per (team, standard, sprint, day) counting the gated entries of that
day in the `GateRecord` ledger. The gate publishes `GateEntriesRecorded` with the entries it
wrote, and `count_entries` adds them to their rows in the same transaction (row locked, in key
order): a rolled-back move never counts, a committed one always does, and concurrent moves add
up instead of overwriting each other. `recompute_all` recounts every day of a workspace from the
ledger: the repair job, and the property the tests hold it to (it must give exactly what the
incremental path gave). Both go through `Tally`, so they cannot count differently.

Key result standards have no entries: today's row measures the team's active key results as
they are. It is computed on the day's first read (`ensure_day`, the registered refresher) and
dropped when a key result, its objective or a key result standard changes, to be measured again
on the next read; earlier days keep the measure they had.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from alignment import timezones
from alignment.events import publish_on_commit
from alignment.models import Workspace
from readmodel import compliance as compliance_reads
from readmodel.models import ComplianceDay
from standards.events import GateEntriesRecorded
from standards.models import Adoption, GateRecord, Outcome, Standard, Subject

# (team id, standard id, sprint id or 0, day)
Key = tuple[int, int, int, date]
COUNTED = {
    Outcome.MET: "met",
    Outcome.SLIPPED: "slipped",
    Outcome.WAIVED: "waived",
    Outcome.BLOCKED: "blocked",
}


@dataclass
class Tally:
    met: int = 0
    slipped: int = 0
    waived: int = 0
    blocked: int = 0
    failing: dict[str, list[int]] = field(default_factory=dict)

    def add(self, outcome: str, failing: Iterable[str], subject_id: int) -> None:
        name = COUNTED.get(outcome)  # type: ignore[call-overload]
        if name is None:
            return
        setattr(self, name, getattr(self, name) + 1)
        if outcome in (Outcome.SLIPPED, Outcome.BLOCKED):
            for kind in failing or ():
                ids = self.failing.setdefault(str(kind), [])
                if subject_id not in ids:
                    ids.append(subject_id)

    def merge(self, other: Tally) -> None:
        self.met += other.met
        self.slipped += other.slipped
        self.waived += other.waived
        self.blocked += other.blocked
        for kind, ids in other.failing.items():
            mine = self.failing.setdefault(kind, [])
            mine.extend(i for i in ids if i not in mine)

    def values(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "slipped": self.slipped,
            "waived": self.waived,
            "blocked": self.blocked,
            "failing": {k: sorted(v) for k, v in sorted(self.failing.items())},
        }


def _day_of(instant: datetime, zone: Any) -> date:
    return timezone.localtime(instant, zone).date()


def publish_recorded(
    workspace_id: int, records: Iterable[GateRecord], *, actor_id: int | None = None
) -> None:
    """Called in the transaction that wrote `records`: they are counted with it."""
    zone = timezones.workspace_zone_of(workspace_id)
    entries = tuple(
        (
            r.team_id,
            r.standard_id,
            r.sprint_id or 0,
            _day_of(r.created_at, zone).isoformat(),
            r.outcome,
            tuple(r.failing or ()),
            r.task_id,
        )
        for r in records
    )
    if entries:
        publish_on_commit(
            GateEntriesRecorded(workspace_id=workspace_id, entries=entries, actor_id=actor_id)
        )


def _tally(rows: Iterable[tuple[Any, ...]], zone: Any) -> dict[Key, Tally]:
    """Ledger rows (team, standard, sprint, created_at, outcome, failing, task) by day key."""
    tallies: dict[Key, Tally] = defaultdict(Tally)
    for team_id, standard_id, sprint_id, created_at, outcome, failing, task_id in rows:
        key = (team_id, standard_id, sprint_id or 0, _day_of(created_at, zone))
        tallies[key].add(outcome, failing, task_id)
    return tallies


LEDGER = ("team_id", "standard_id", "sprint_id", "created_at", "outcome", "failing", "task_id")


def _write(workspace_id: int, wanted: dict[Key, Tally], existing: dict[Key, ComplianceDay]) -> None:
    """Make the stored rows of these keys say `wanted`: write what differs, drop empty ones."""
    now = timezone.now()
    new: list[ComplianceDay] = []
    changed: list[ComplianceDay] = []
    gone = [row.pk for key, row in existing.items() if key not in wanted]
    for key, tally in wanted.items():
        values = tally.values()
        row = existing.get(key)
        if row is None:
            team_id, standard_id, sprint_id, day = key
            new.append(
                ComplianceDay(
                    workspace_id=workspace_id,
                    team_id=team_id,
                    standard_id=standard_id,
                    sprint_id=sprint_id,
                    day=day,
                    computed_at=now,
                    **values,
                )
            )
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.computed_at = now
            changed.append(row)
    if gone:
        ComplianceDay.objects.filter(pk__in=gone).delete()
    if changed:
        ComplianceDay.objects.bulk_update(
            changed, ["met", "slipped", "waived", "blocked", "failing", "computed_at"]
        )
    if new:
        # A concurrent recount may have written a row since we read: theirs and ours count
        # the same committed ledger, so keeping either is right.
        ComplianceDay.objects.bulk_create(new, ignore_conflicts=True)


def count_entries(event: GateEntriesRecorded) -> None:
    """In-transaction subscriber: add the recorded entries to their days' rows."""
    tallies: dict[Key, Tally] = defaultdict(Tally)
    for team_id, standard_id, sprint_id, iso_day, outcome, failing, task_id in event.entries:
        key = (team_id, standard_id, sprint_id, date.fromisoformat(iso_day))
        tallies[key].add(outcome, failing, task_id)
    for key in sorted(tallies):  # one lock order, so two moves never deadlock
        team, standard, sprint, day = key
        where = {"team_id": team, "standard_id": standard, "sprint_id": sprint, "day": day}
        ComplianceDay.objects.bulk_create(
            [ComplianceDay(workspace_id=event.workspace_id, **where)], ignore_conflicts=True
        )
        row = ComplianceDay.objects.select_for_update().get(**where)
        stored = Tally(
            met=row.met,
            slipped=row.slipped,
            waived=row.waived,
            blocked=row.blocked,
            failing={k: list(v) for k, v in (row.failing or {}).items()},
        )
        stored.merge(tallies[key])
        for name, value in stored.values().items():
            setattr(row, name, value)
        row.computed_at = timezone.now()
        row.save(update_fields=["met", "slipped", "waived", "blocked", "failing", "computed_at"])


def _task_standard_ids(workspace_id: int) -> set[int]:
    return set(
        Standard.objects.for_workspace(workspace_id)
        .filter(subject=Subject.TASK)
        .values_list("pk", flat=True)
    )


def recompute_all(workspace: Workspace | int, *, today: date | None = None) -> None:
    """Recount every task-standard row of the workspace from the ledger, drop rows of deleted
    standards, and measure today's key-result-standard rows again: the repair job."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    zone = timezones.workspace_zone_of(workspace_id)
    today = today or timezones.today_in(zone)
    with transaction.atomic():
        ledger = GateRecord.objects.for_workspace(workspace_id).values_list(*LEDGER)
        tallies = _tally(ledger.iterator(chunk_size=5000), zone)
        every_standard = set(
            Standard.objects.for_workspace(workspace_id).values_list("pk", flat=True)
        )
        task_ids = _task_standard_ids(workspace_id)
        stored = ComplianceDay.objects.for_workspace(workspace_id).select_for_update()
        ComplianceDay.objects.filter(
            pk__in=stored.exclude(standard_id__in=every_standard).values("pk")
        ).delete()
        existing = {
            (r.team_id, r.standard_id, r.sprint_id, r.day): r
            for r in stored.filter(standard_id__in=task_ids)
        }
        _write(workspace_id, dict(tallies), existing)
        forget_key_result_day(workspace_id, today)
    ensure_day(workspace_id, today)


# ---- key result standards ------------------------------------------------------------------


def _key_result_adoptions(workspace_id: int) -> Any:
    return Adoption.objects.for_workspace(workspace_id).filter(standard__subject=Subject.KEY_RESULT)


def ensure_day(workspace_id: int, today: date) -> None:
    """Measure today's rows of key result standards that lack one (the day's first read)."""
    lacking = _key_result_adoptions(workspace_id).filter(
        ~Exists(
            ComplianceDay.objects.filter(
                team_id=OuterRef("team_id"),
                standard_id=OuterRef("standard_id"),
                sprint_id=0,
                day=today,
            )
        )
    )
    pairs = list(lacking.values_list("team_id", "standard_id"))
    if pairs:
        measure_key_results(workspace_id, today, pairs=pairs)


def measure_key_results(
    workspace_id: int, today: date, *, pairs: list[tuple[int, int]] | None = None
) -> None:
    """Today's rows of key result standards: each adopting team's active key results, met or
    missed, as they are now."""
    # Imported here: evaluation reads the OKR and integration facts (a heavier import).
    from okrs.models import KeyResult, ObjectiveStatus
    from standards.evaluate import evaluate_key_result

    adoptions = list(_key_result_adoptions(workspace_id).select_related("standard"))
    if pairs is not None:
        adoptions = [a for a in adoptions if (a.team_id, a.standard_id) in set(pairs)]
    if not adoptions:
        return
    slug = str(Workspace.objects.values_list("slug", flat=True).get(pk=workspace_id))
    krs = list(
        KeyResult.objects.for_workspace(workspace_id)
        .filter(
            objective__status=ObjectiveStatus.ACTIVE,
            objective__team_id__in={a.team_id for a in adoptions},
        )
        .select_related("objective")
        .order_by("pk")
    )
    wanted: dict[Key, Tally] = {}
    for adoption in adoptions:
        tally = Tally()
        for kr in krs:
            if kr.objective.team_id != adoption.team_id:
                continue
            judged = evaluate_key_result(kr, adoption.standard, slug=slug, today=today)
            outcome = Outcome.MET if judged.ok else Outcome.SLIPPED
            tally.add(outcome, [r.kind for r in judged.failing], kr.pk)
        wanted[(adoption.team_id, adoption.standard_id, 0, today)] = tally
    with transaction.atomic():
        existing = {
            (r.team_id, r.standard_id, r.sprint_id, r.day): r
            for r in ComplianceDay.objects.for_workspace(workspace_id)
            .select_for_update()
            .filter(day=today, sprint_id=0, standard_id__in={k[1] for k in wanted})
            .filter(team_id__in={k[0] for k in wanted})
        }
        existing = {k: v for k, v in existing.items() if k in wanted}
        # An adoption with no key results still gets its (empty) row: "measured today".
        _write_measured(workspace_id, wanted, existing)


def _write_measured(workspace_id: int, wanted: dict[Key, Tally], existing: dict[Key, Any]) -> None:
    now = timezone.now()
    for key, tally in wanted.items():
        team_id, standard_id, sprint_id, day = key
        row = existing.get(key)
        if row is None:
            ComplianceDay.objects.get_or_create(
                team_id=team_id,
                standard_id=standard_id,
                sprint_id=sprint_id,
                day=day,
                defaults={"workspace_id": workspace_id, "computed_at": now, **tally.values()},
            )
        else:
            ComplianceDay.objects.filter(pk=row.pk).update(computed_at=now, **tally.values())


def forget_key_result_day(workspace_id: int, today: date | None = None) -> None:
    """Drop today's key-result-standard rows: measured again on the next read."""
    today = today or timezones.today_of(workspace_id)
    kr_standards = Standard.objects.for_workspace(workspace_id).filter(subject=Subject.KEY_RESULT)
    ComplianceDay.objects.for_workspace(workspace_id).filter(
        day=today, standard_id__in=kr_standards.values("pk")
    ).delete()


def on_key_results_changed(event: Any) -> None:
    """After-commit subscriber (key result changed or checked in, objective changed)."""
    forget_key_result_day(event.workspace_id)


class Refresher:
    """What readmodel.compliance calls before a read."""

    def ensure_day(self, workspace_id: int, today: date) -> None:
        ensure_day(workspace_id, today)


def connect() -> None:
    compliance_reads.register(Refresher())
