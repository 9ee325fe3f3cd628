"""The work an editor test starts from: my task on a roadmap item that serves a key result."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from alignment.models import TokenScope
from okrs.models import KeyResult
from roadmaps.models import RoadmapItem
from tasks.models import StateCategory, Task
from tests.conftest import World
from tests.factories import ApiTokenFactory
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapItemFactory,
    TaskFactory,
    key_result_in,
    state_of,
)


@dataclass
class EditorSeed:
    key_result: KeyResult
    item: RoadmapItem
    mine: Task  # aligned: item → key result → objective
    other: Task  # mine too, unaligned
    token: str  # a write token of the member who owns both


def seed_editor_work(world: World) -> EditorSeed:
    """Two open tasks of the member, one aligned, beside tasks the extension must not list."""
    key_result = key_result_in(world.workspace, title="Board loads in 50 ms")
    KeyResult.objects.filter(pk=key_result.pk).update(source="tasks")
    key_result.refresh_from_db()
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, title="Fast boards")
    KeyResultLinkFactory(item=item, key_result=key_result)
    me = world.member.user
    mine = TaskFactory(
        team=world.team, title="Speed up the board", roadmap_item=item, assignee=me, estimate=1
    )
    TaskFactory(team=world.team, roadmap_item=item, estimate=Decimal(3))  # nobody's
    other = TaskFactory(team=world.team, title="Write the runbook", assignee=me)
    TaskFactory(team=world.team, assignee=me, state=state_of(world.team, StateCategory.DONE))
    TaskFactory(team=world.team, assignee=world.admin.user)
    token = f"aln_{uuid.uuid4().hex}"
    ApiTokenFactory(raw=token, workspace=world.workspace, user=me, scope=TokenScope.WRITE)
    return EditorSeed(key_result=key_result, item=item, mine=mine, other=other, token=token)
