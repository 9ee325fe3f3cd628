"""The gate on task transitions (registered in tasks.gates): refuse, or let through and record.

Every way a task changes state reaches `tasks.services.apply_changes` (or task creation, or a
hand-over to another team), which asks this gate before it saves. Blocking standards with a
failing check refuse the move with `TransitionBlocked` (409, the failing checks as data); warn
standards and waived ones let it through, and every entry into a gated category is recorded
(`GateRecord`) in the same transaction: compliance reads those rows.
"""

from __future__ import annotations

from django.utils import timezone

from alignment.models import Workspace
from standards.compliance_rows import publish_recorded
from standards.evaluate import evaluate_task
from standards.models import Adoption, GateRecord, Outcome, Subject
from tasks.errors import TransitionBlocked
from tasks.gates import Entry
from tasks.models import Task


def _slug(task: Task) -> str:
    """The workspace slug for the fix links, read only when a standard applies."""
    return str(Workspace.objects.values_list("slug", flat=True).get(pk=task.workspace_id))


def standards_gate(task: Task, entry: Entry) -> None:
    """Refuse `task` entering `entry.state` while a blocking standard of its team fails."""
    category = entry.state.category
    gated = Adoption.objects.filter(
        team_id=task.team_id, standard__subject=Subject.TASK, standard__gate=category
    )
    if not gated.exists():
        return  # one query for a move no standard gates
    judged = evaluate_task(task, slug=_slug(task), gate=category)
    if not judged.standards:
        return
    blocking = [s for s in judged.standards if s.blocks]
    if blocking:
        failing = [f for s in blocking for f in s.failing_json()]
        reasons = "; ".join(
            f"{s.standard.name} fails: " + ", ".join(r.label for r in s.failing) for s in blocking
        )
        raise TransitionBlocked(
            task=task.key, state=entry.state.name, reasons=reasons + ".", failing=failing
        )
    if task.pk is None:
        return  # not saved yet: nothing to name in a record
    now = timezone.now()
    records = GateRecord.objects.bulk_create(
        GateRecord(
            workspace_id=task.workspace_id,
            team_id=task.team_id,
            task=task,
            standard=s.standard,
            sprint_id=task.sprint_id,
            category=category,
            outcome=Outcome.WAIVED if s.waived else (Outcome.MET if s.ok else Outcome.SLIPPED),
            failing=[] if s.waived else [r.kind for r in s.failing],
            via=entry.via[:120],
            actor_id=entry.actor.user_id if entry.actor else None,
            created_at=now,
        )
        for s in judged.standards
    )
    publish_recorded(
        task.workspace_id, records, actor_id=entry.actor.user_id if entry.actor else None
    )
