from __future__ import annotations

import pytest

from alignment.models import Team
from integrations.models import ExternalLink, LinkKind, Provider
from standards import services
from standards.models import Standard
from tasks.models import StateCategory, Task, WorkflowState
from tests.conftest import World
from tests.factories.work import TaskFactory


def state(team: Team, category: str) -> WorkflowState:
    return WorkflowState.objects.filter(team=team, category=category).order_by("position").first()


def link_pr(task: Task, *, state: str = "open", review: str = "", ci: str = "") -> ExternalLink:
    checks = {"build": {"state": ci, "url": "", "at": "2026-05-13T10:00:00Z"}} if ci else {}
    link, _ = ExternalLink.objects.update_or_create(
        workspace_id=task.workspace_id,
        provider=Provider.GITHUB,
        external_id=f"acme/app#{task.number}",
        task_key=task.key,
        defaults={
            "kind": LinkKind.PULL_REQUEST,
            "url": f"https://github.example/acme/app/pull/{task.number}",
            "title": f"PR for {task.key}",
            "state": state,
            "review_state": review,
            "checks": checks,
        },
    )
    return link


@pytest.fixture
def done_standard(world: World) -> Standard:
    """Estimate present + linked PR merged, gating Done, adopted by world.team."""
    standard = services.standard_create(
        actor=world.admin,
        name="Definition of Done",
        gate=StateCategory.DONE,
        checks=[{"kind": "estimate_present"}, {"kind": "pr_merged"}],
    )
    services.standard_adopt(actor=world.admin, standard=standard, team=world.team)
    return standard


@pytest.fixture
def task(world: World) -> Task:
    return TaskFactory(
        team=world.team, state=state(world.team, StateCategory.STARTED), estimate=None
    )
