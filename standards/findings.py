"""The finding "Platform moved 9 tasks to Done without a merged PR this sprint".

Raised per active sprint from the tasks that slipped through a warn-mode standard (or whose
automated move a blocking one refused) in it, naming the check that failed most often; it is
a finding like any other (dashboards.finding_sources): ranked, dismissable, in the API. Read
from the compliance rows of the read model (their failing checks name the tasks), so its
count is the one the compliance page and API show.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from alignment import timezones
from alignment.models import Workspace
from dashboards.drift_base import new_finding
from dashboards.finding_sources import FindingSource
from dashboards.models import Finding
from dashboards.reasons import Names
from okrs import progress as okr_math
from readmodel.compliance import ComplianceCount, compliance_days
from standards.checks import REGISTRY
from standards.evaluate import GATE_ORDER
from standards.models import Standard
from tasks.models import Sprint, SprintStatus, StateCategory

CODE = "standard_slipped"
CHECK_KEYS = list(REGISTRY)


def compute(workspace: Workspace, now: Any) -> list[Finding]:
    active = list(
        Sprint.objects.for_workspace(workspace)
        .filter(status=SprintStatus.ACTIVE)
        .values_list("pk", flat=True)
    )
    if not active:
        return []
    # The read model's rows of work in the active sprints, whenever it entered its state
    # (a task may be moved before its sprint's first day). Only task standards record
    # entries, so the rows need no day's key result measure first (fresh=False).
    days = compliance_days(
        workspace.pk,
        first=date.min,
        last=timezones.today_in(timezones.workspace_zone(workspace)),
        sprint_ids=active,
        fresh=False,
    )
    gates = dict(
        Standard.objects.for_workspace(workspace)
        .filter(pk__in={d.standard_id for d in days})
        .values_list("pk", "gate")
    )
    by_sprint: dict[int, list[ComplianceCount]] = defaultdict(list)
    for day in days:
        by_sprint[day.sprint_id].append(day)
    found = []
    for sprint_id, rows in sorted(by_sprint.items()):
        tasks_of: dict[tuple[int, str], set[int]] = defaultdict(set)
        team_of: dict[tuple[int, str], int] = {}
        for day in rows:
            for kind, task_ids in day.failing.items():
                if kind in REGISTRY:
                    tasks_of[(day.standard_id, kind)].update(task_ids)
                    team_of.setdefault((day.standard_id, kind), day.team_id)
        if not tasks_of:
            continue
        # The check that let the most tasks through; ties go to the earlier check kind.
        (standard_id, kind), tasks = max(
            tasks_of.items(), key=lambda kv: (len(kv[1]), -CHECK_KEYS.index(kv[0][1]))
        )
        category = gates.get(standard_id) or StateCategory.DONE
        count = len(tasks)
        team_id = team_of[(standard_id, kind)]
        found.append(
            new_finding(
                workspace,
                CODE,
                okr_math.AT_RISK,
                ("sprint", sprint_id),
                now=now,
                team_id=team_id,
                numbers={
                    "tasks": count,
                    "standard_id": standard_id,
                    "check": CHECK_KEYS.index(kind),
                    "category": [c.value for c in GATE_ORDER].index(category)
                    if category in [c.value for c in GATE_ORDER]
                    else 2,
                },
                evidence=[("team", team_id), *[("task", t) for t in sorted(tasks)]],
                points=float(count),
            )
        )
    return found


def sentence(finding: Finding, names: Names) -> str:
    n = finding.numbers if isinstance(finding.numbers, dict) else {}
    count = int(n.get("tasks", 0))
    check = REGISTRY[CHECK_KEYS[int(n.get("check", 0))]]
    category = GATE_ORDER[int(n.get("category", 2))]
    team = next((names.get("team", int(i)) for k, i in finding.evidence if k == "team"), None)
    standard = Standard.objects.filter(
        workspace_id=finding.workspace_id, pk=int(n.get("standard_id", 0))
    ).first()
    state = StateCategory(category).label
    who = team.label if team else "A team"
    moved = f"{count} task{'s' if count != 1 else ''}"
    return (
        f"{who} moved {moved} to {state} {check.phrase or 'failing ' + check.label} in "
        f"{names.label(finding.subject_kind, finding.subject_id)}"
        + (f" ({standard.name})." if standard else ".")
    )


SOURCE = FindingSource(
    code=CODE,
    title="Standards slipped",
    about="Work that entered a state without meeting the team's standards.",
    compute=compute,
    sentence=sentence,
)
