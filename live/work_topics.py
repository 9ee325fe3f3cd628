"""Topic kinds of the work pages: a team's board and backlog, one task.

Each is checked as its page is (tasks/views): a team the member may see (`visible_to`: private
teams, guests), viewers read, members (and guests on their teams) write. Anything else — a
team of another workspace, a hidden one, a missing id — is the same 4404.
"""

from __future__ import annotations

from typing import Any

from alignment.models import Team, Workspace
from live import groups, topics
from live.errors import BadFrame, NotFound
from live.topics import Access, Op, Subscription, TopicKind, int_reference
from tasks import selectors, services
from tasks.models import Task, WorkflowState
from tasks.services.rules import UNSET


def _visible_team(access: Access, reference: str) -> Team:
    team = Team.objects.visible_to(access.membership).filter(pk=int_reference(reference)).first()
    if team is None:
        raise NotFound("no such team")
    return team


def board_access(access: Access, reference: str) -> Subscription:
    team = _visible_team(access, reference)
    return Subscription(
        topic=f"board:{team.pk}",
        groups=(groups.board(team.workspace_id, team.pk),),
        can_write=access.can_write(),
        presence_group=groups.presence(team.workspace_id, "board", team.pk),
        context={"team_id": team.pk},
    )


def backlog_access(access: Access, reference: str) -> Subscription:
    team = _visible_team(access, reference)
    return Subscription(
        topic=f"backlog:{team.pk}",
        groups=(groups.backlog(team.workspace_id, team.pk),),
        can_write=access.can_write(),
        context={"team_id": team.pk},
    )


def _task(access: Access, key: object) -> Task | None:
    if not isinstance(key, str) or not key or len(key) > 24:
        return None
    workspace: Workspace = access.membership.workspace
    return selectors.task_by_key(workspace, key, viewer=access.membership)


def task_access(access: Access, reference: str) -> Subscription:
    """`task:<key>`, e.g. task:ENG-12 (an old key leads to the task it became)."""
    task = _task(access, reference)
    if task is None:
        raise NotFound("no such task")
    return Subscription(
        topic=f"task:{reference}",
        groups=(groups.task(task.workspace_id, task.pk),),
        can_write=access.can_write(),
        context={"task_id": task.pk},
    )


def _text(frame: dict[str, Any], name: str) -> str:
    value = frame.get(name) or ""
    if not isinstance(value, str) or len(value) > 24:
        raise BadFrame(f"'{name}' must be a task key")
    return value


def board_move(access: Access, subscription: Subscription, frame: dict[str, Any]) -> dict:
    """Move a card of this board, as a drop does (tasks:move): same service, same rules.

    {"op": "move", "topic": "board:12", "key": "ENG-3", "version": 4,
     "state": 31, "after": "ENG-1", "before": "ENG-7"}  (state, after, before optional)
    """
    version, state_id = frame.get("version"), frame.get("state")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BadFrame("'version' must be a positive integer")
    if state_id is not None and (not isinstance(state_id, int) or isinstance(state_id, bool)):
        raise BadFrame("'state' must be a column id")
    task = _task(access, _text(frame, "key"))
    if task is None or task.team_id != subscription.context["team_id"]:
        raise NotFound("no such task on this board")
    neighbours = []
    for name in ("after", "before"):
        key = _text(frame, name)
        neighbour = _task(access, key) if key else None
        if key and neighbour is None:
            raise NotFound(f"no such task: {name}")
        neighbours.append(neighbour)
    state: WorkflowState | None = UNSET
    if state_id is not None:
        state = (
            WorkflowState.objects.for_workspace(access.workspace_id)
            .filter(pk=state_id, team_id=task.team_id)
            .first()
        )
        if state is None:
            raise NotFound("no such column on this board")
    services.task_move(
        actor=access.membership,
        task=task,
        expected_version=version,
        after=neighbours[0],
        before=neighbours[1],
        state=state,
    )
    return {"type": "moved", "key": task.key, "version": task.version}


BOARD = TopicKind(
    name="board",
    authorize=board_access,
    ops={"move": Op(board_move, write=True)},
    reference="team id",
)
BACKLOG = TopicKind(name="backlog", authorize=backlog_access, reference="team id")
TASK = TopicKind(name="task", authorize=task_access, reference="task key")


def register() -> None:
    for kind in (BOARD, BACKLOG, TASK):
        topics.register(kind)
