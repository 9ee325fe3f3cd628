"""One truth for compliance: the standards page, the leader widget, the finding and the API.

Random gated moves on random past days (a task with or without an estimate and a merged PR,
in the active sprint or not, while the team waives the standard or not) go through the real
task services. Then the compliance page, the API, the leader widget and the finding must show
the read model's numbers, those numbers must be the ledger's (GateRecord) counts, and a full
recompute of the compliance rows must change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tasks import services as task_services
from tasks.models import StateCategory
from tests.conftest import World, build_world, client_for
from tests.factories.work import TaskFactory, state_of
from tests.surfaces import api_json, page_html

pytestmark = pytest.mark.django_db

# The suite's clock (tests/clock.py) is pinned to 2026-05-13: the moves are in the 8 weeks before.
NOW = datetime(2026, 5, 13, 9, 0, tzinfo=UTC)


@pytest.fixture
def one_truth_world(db: None) -> World:
    return build_world("truth")


@dataclass
class MoveSpec:
    days_ago: int  # 0..55: within the page's eight weeks
    estimate: bool
    merged: bool
    in_sprint: bool
    waived: bool  # the team waives the standard during this move


@st.composite
def move_specs(draw: st.DrawFn) -> list[MoveSpec]:
    return draw(
        st.lists(
            st.builds(
                MoveSpec,
                days_ago=st.integers(0, 55),
                estimate=st.booleans(),
                merged=st.booleans(),
                in_sprint=st.booleans(),
                waived=st.booleans(),
            ),
            min_size=1,
            max_size=7,
        )
    )


CELL = re.compile(r'data-cell="(\w+)">(?:<span class="muted">)?([^<]*)<')


def _compliance_cells(html: str, row: str) -> dict[str, list[str]]:
    start = html.index(f'data-compliance="{row}"')
    chunk = html[start : html.index("</tr>", start)]
    cells: dict[str, list[str]] = {}
    for name, value in CELL.findall(chunk):
        cells.setdefault(name, []).append(value.strip())
    return cells


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def _moves(world: World, specs: list[MoveSpec]) -> None:
    # Imported here: the OKR property above does not need the standards app's modules.
    import time_machine

    from integrations.models import ExternalLink, LinkKind, Provider
    from standards import services as standard_services
    from tests.factories.work import SprintFactory

    standard = standard_services.standard_create(
        actor=world.admin,
        name="Definition of Done",
        gate=StateCategory.DONE,
        mode="warn",
        checks=[{"kind": "estimate_present"}, {"kind": "pr_merged"}],
    )
    standard_services.standard_adopt(actor=world.admin, standard=standard, team=world.team)
    sprint = SprintFactory(team=world.team, name="Sprint 9", status="active")
    waived = False
    for n, move in enumerate(sorted(specs, key=lambda m: -m.days_ago)):
        with time_machine.travel(NOW - timedelta(days=move.days_ago), tick=False):
            if move.waived != waived:
                if move.waived:
                    standard_services.standard_waive(
                        actor=world.admin, standard=standard, team=world.team, reason="A docs week."
                    )
                else:
                    standard_services.standard_unwaive(
                        actor=world.admin, standard=standard, team=world.team
                    )
                waived = move.waived
            task = TaskFactory(
                team=world.team,
                state=state_of(world.team, StateCategory.STARTED),
                estimate=3 if move.estimate else None,
                sprint=sprint if move.in_sprint else None,
            )
            ExternalLink.objects.create(
                workspace=world.workspace,
                provider=Provider.GITHUB,
                kind=LinkKind.PULL_REQUEST,
                external_id=f"pr-{n}",
                task_key=task.key,
                url=f"https://github.example/pull/{n}",
                state="merged" if move.merged else "open",
            )
            task_services.task_transition(
                actor=world.member, task=task, to_state=state_of(world.team, StateCategory.DONE)
            )


def _check_compliance(world: World) -> None:
    from dashboards.drift import refresh_findings
    from dashboards.models import Finding
    from readmodel.models import ComplianceDay
    from standards import compliance, compliance_rows
    from standards.models import GateRecord

    slug = world.workspace.slug
    today = NOW.date()
    first = compliance.week_start(today) - timedelta(weeks=compliance.WEEKS - 1)
    row_key = f"{world.team.key}/definition-of-done"
    # The truth: the ledger, counted here by hand.
    ledger = list(GateRecord.objects.filter(workspace=world.workspace))
    weeks = [[0, 0] for _ in range(compliance.WEEKS)]
    totals = {"met": 0, "slipped": 0, "waived": 0, "blocked": 0}
    for record in ledger:
        day = record.created_at.astimezone(UTC).date()
        totals[record.outcome] += 1
        index = (compliance.week_start(day) - first).days // 7
        if record.outcome in ("met", "slipped"):
            weeks[index][record.outcome == "slipped"] += 1

    def share(met: int, slipped: int) -> float | None:
        return met / (met + slipped) if met + slipped else None

    client = client_for(world.admin.user)
    page = _compliance_cells(page_html(client, f"/w/{slug}/standards/compliance/"), row_key)
    assert page["met"] == [str(totals["met"])]
    assert page["slipped"] == [str(totals["slipped"])]
    assert page["waived"] == [str(totals["waived"])]
    assert page["share"] == [_percent(share(totals["met"], totals["slipped"]))]
    assert page["week"] == ["·" if not m + s else _percent(share(m, s)) for m, s in weeks]

    [api] = api_json(client, f"/api/v1/workspaces/{slug}/standards/compliance/")
    assert (api["met"], api["slipped"], api["waived"]) == (
        totals["met"],
        totals["slipped"],
        totals["waived"],
    )
    assert [(w["met"], w["slipped"]) for w in api["weeks"]] == [tuple(w) for w in weeks]

    client.post(f"/w/{slug}/dashboards/layout/", {"action": "add", "widget": "standards"})
    leader = page_html(client, f"/w/{slug}/dashboards/")
    widget = _compliance_cells(leader[leader.index('id="standards-compliance"') :], row_key)
    last4 = weeks[-4:]
    met4, slipped4 = sum(m for m, _ in last4), sum(s for _, s in last4)
    assert widget == {
        "met": [str(met4)],
        "slipped": [str(slipped4)],
        "share": [_percent(share(met4, slipped4))],
    }

    refresh_findings(world.workspace)
    finding = Finding.objects.filter(workspace=world.workspace, code="standard_slipped").first()
    in_sprint = [r for r in ledger if r.sprint_id and r.outcome in ("slipped", "blocked")]
    by_kind: dict[str, set[int]] = {}
    for record in in_sprint:
        for kind in record.failing:
            by_kind.setdefault(kind, set()).add(record.task_id)
    if not by_kind:
        assert finding is None
    else:
        assert finding is not None
        assert finding.numbers["tasks"] == max(len(ids) for ids in by_kind.values())

    # A full recompute of the compliance rows gives exactly what the moves wrote.
    def stored() -> list[tuple[Any, ...]]:
        return list(
            ComplianceDay.objects.filter(workspace=world.workspace)
            .order_by("team_id", "standard_id", "sprint_id", "day")
            .values_list(
                "team_id", "standard_id", "sprint_id", "day", "met", "slipped", "waived", "failing"
            )
        )

    before = stored()
    compliance_rows.recompute_all(world.workspace, today=today)
    assert stored() == before


@settings(
    max_examples=10,
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=move_specs())
def test_every_surface_shows_the_read_models_compliance(
    one_truth_world: World, specs: list[MoveSpec]
):
    with transaction.atomic():
        _moves(one_truth_world, specs)
        _check_compliance(one_truth_world)
        transaction.set_rollback(True)
