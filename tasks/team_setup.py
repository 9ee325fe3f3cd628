"""What tasks/ gives a new team of the workspace core (alignment.models.team_created)."""

from __future__ import annotations

from alignment.models import Team
from tasks.models import DEFAULT_STATES, TaskCounter, WorkflowState


def ensure_team_workflow(team: Team) -> None:
    """Give a team the default workflow states and its task counter, unless it has them."""
    if not WorkflowState.objects.filter(team=team).exists():
        WorkflowState.objects.bulk_create(
            WorkflowState(
                workspace_id=team.workspace_id,
                team=team,
                name=name,
                category=category,
                position=index,
                wip_limit=wip_limit,
            )
            for index, (name, category, wip_limit) in enumerate(DEFAULT_STATES)
        )
    TaskCounter.objects.get_or_create(team=team, defaults={"workspace_id": team.workspace_id})
