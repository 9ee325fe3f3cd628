"""The workspace the search tests query (tests/tasks/test_search.py for matching, privacy,
syntax and the page; test_search_api.py for the API)."""

from __future__ import annotations

from dataclasses import dataclass

from alignment.models import Membership, Role, TeamMember
from okrs.models import KeyResult, Objective
from roadmaps.models import RoadmapItem
from tasks.models import Task, TaskComment
from tests.conftest import World
from tests.factories.core import MembershipFactory, TeamFactory, UserFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.factories.work import (
    RoadmapFactory,
    RoadmapItemFactory,
    TaskCommentFactory,
    TaskFactory,
)


@dataclass
class Corpus:
    invoices: Task
    login: Task
    ledger: Task
    cleanup: Task
    comment: TaskComment
    objective: Objective
    key_result: KeyResult
    item: RoadmapItem
    private_task: Task
    private_comment: TaskComment
    insider: Membership


def build_corpus(world: World) -> Corpus:
    """Tasks, a comment, an objective, a key result and an item that the search tests query,
    and a private team's task and comment that only its insider may find."""
    team = world.team
    invoices = TaskFactory(
        team=team, title="Migrate invoices to the new ledger", description="Move billing data."
    )
    login = TaskFactory(
        team=team,
        title="Fix login redirect",
        description="People land on the wrong page after they sign in.",
    )
    ledger = TaskFactory(team=team, title="Ledger")
    cleanup = TaskFactory(team=team, title="Quarterly cleanup")
    comment = TaskCommentFactory(task=cleanup, body="The flaky checkout test fails on Mondays.")
    objective = ObjectiveFactory(
        period__workspace=world.workspace, team=team, title="Grow revenue with ledger accuracy"
    )
    key_result = KeyResultFactory(objective=objective, title="Reduce invoice errors to 1%")
    roadmap = RoadmapFactory(workspace=world.workspace)
    item = RoadmapItemFactory(roadmap=roadmap, owner_team=team, title="Billing ledger rewrite")
    hidden = TeamFactory(workspace=world.workspace, key="SEC", name="Security", is_private=True)
    insider = MembershipFactory(
        workspace=world.workspace, role=Role.MEMBER, user=UserFactory(email="insider@acme.test")
    )
    TeamMember.objects.create(workspace=world.workspace, team=hidden, user=insider.user)
    private_task = TaskFactory(team=hidden, title="Ledger audit before the acquisition")
    private_comment = TaskCommentFactory(task=private_task, body="The flaky checkout vendor.")
    return Corpus(
        invoices,
        login,
        ledger,
        cleanup,
        comment,
        objective,
        key_result,
        item,
        private_task,
        private_comment,
        insider,
    )
