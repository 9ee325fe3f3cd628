"""One world's objects for the tenancy and role matrices: a sample of every model, and which
models a team owns (see tests/matrix.py; tests/matrix_fillers.py fills routes from them).

`MODEL_SAMPLES` builds one object per model eagerly, so a snapshot taken before a request
includes them; `TEAM_OWNED` and `WORKSPACE_WIDE` classify every model a route can name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model

from alignment.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    Role,
    Team,
    TeamMember,
)
from assistant.models import AssistantLog, AssistantSettings
from attachments.models import Attachment
from automation.models import Rule
from customfields.models import CustomField, CustomFieldOption, CustomFieldValue
from dashboards.models import Incident
from documents.models import Document, DocumentComment, DocumentUpdate, DocumentVersion
from integrations.models import (
    ImportJob,
    InboundDelivery,
    Integration,
    OutboxMessage,
    SlackUserLink,
    WebhookSubscription,
)
from integrations.notifications.models import Notification
from okrs.models import CheckIn, KeyResult, Objective, ObjectiveComment, Period
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemDependency
from scim.models import ScimGroup, ScimToken, ScimUser
from standards.models import Adoption, GateRecord, Standard
from tasks.models import (
    Label,
    SavedView,
    Sprint,
    Task,
    TaskComment,
    TaskDependency,
    WorkflowState,
)
from tests.conftest import World, build_guest, build_world
from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
)
from tests.factories.work import (
    TaskFactory,
)
from tests.matrix_samples import MODEL_SAMPLES, SECRET, TEAM_OWNED_DASHBOARD_MODELS

# --- One world's objects -------------------------------------------------------------------


class MissingFiller(LookupError):
    """A route kwarg or viewset model this module cannot fill; the message says what to add."""


class WorldObjects:
    """One object of every model in MODEL_SAMPLES, all in `world`'s workspace."""

    private = False  # PrivateWorldObjects: the private team's samples carry SECRET

    def __init__(self, world: World) -> None:
        self.world = world
        self.workspace = world.workspace
        self._objects: dict[type[Model], Model] = {}

    @classmethod
    def build(cls, world: World) -> WorldObjects:
        objects = cls(world)
        for model in MODEL_SAMPLES:
            objects[model]
        return objects

    def __getitem__(self, model: type[Model]) -> Any:
        if model not in self._objects:
            make = MODEL_SAMPLES.get(model)
            if make is None:
                raise MissingFiller(
                    f"No sample of {model.__module__}.{model.__name__}: add "
                    f"MODEL_SAMPLES[{model.__name__}] = lambda objects: "
                    f"{model.__name__}Factory(workspace=objects.workspace, ...) "
                    "to tests/matrix_samples.py."
                )
            obj = make(self)
            assert getattr(obj, "workspace_id", self.workspace.pk) == self.workspace.pk, (
                f"MODEL_SAMPLES[{model.__name__}] built an object outside {self.workspace.slug}"
            )
            self._objects[model] = obj
        return self._objects[model]


class PrivateWorldObjects(WorldObjects):
    """In A, a second sample of every team-owned model (TEAM_OWNED), hung off a *private* team
    that only `insider` is on (not A's member, viewer or guest), with titles that carry
    `SECRET` so any page or answer that shows them to a non-member is caught. Workspace-wide
    samples are A's public ones, so the private work reaches into them as in real life: the
    private roadmap item counts towards A's public key result, and one private task sits under
    A's public roadmap item. Company rollups must count both without a title."""

    private = True

    def __init__(self, world: World, public: WorldObjects) -> None:
        super().__init__(world)
        self.public = public
        self.insider = MembershipFactory(
            workspace=world.workspace,
            role=Role.MEMBER,
            user=UserFactory(email=f"insider@{world.workspace.slug}.example.com"),
        )

    def __getitem__(self, model: type[Model]) -> Any:
        if model not in TEAM_OWNED:
            return self.public[model]
        return super().__getitem__(model)

    @classmethod
    def build_private(cls, world: World, public: WorldObjects) -> PrivateWorldObjects:
        objects = cls(world, public)
        objects._objects[Team] = TeamFactory(
            workspace=world.workspace, name=f"{SECRET} Skunkworks", is_private=True
        )
        objects._objects[TeamMember] = TeamMember.objects.create(
            workspace=world.workspace, team=objects[Team], user=objects.insider.user
        )
        for model in MODEL_SAMPLES:
            objects[model]
        Task.objects.filter(pk=objects[Task].pk).update(title=f"{SECRET} task title")
        RoadmapItem.objects.filter(pk=objects[RoadmapItem].pk).update(title=f"{SECRET} item")
        Sprint.objects.filter(pk=objects[Sprint].pk).update(name=f"{SECRET} sprint")
        TaskComment.objects.filter(pk=objects[TaskComment].pk).update(body=f"{SECRET} comment")
        Incident.objects.filter(pk=objects[Incident].pk).update(title=f"{SECRET} incident")
        TaskFactory(
            team=objects[Team],
            roadmap_item=public[RoadmapItem],
            title=f"{SECRET} task under a public item",
        )
        for model in (Task, RoadmapItem, Sprint, TaskComment, Incident):
            objects[model].refresh_from_db()
        return objects


@dataclass(frozen=True)
class Worlds:
    """Workspace A (the caller's) and B (the other tenant), each with its sample objects, and
    in A a private team's objects and a guest on A's sample team."""

    a: World
    b: World
    objects_a: WorldObjects
    objects_b: WorldObjects
    private_a: PrivateWorldObjects


@contextmanager
def worlds_for_a_module(django_db_blocker: Any) -> Iterator[Worlds]:
    """Build A and B once for a whole test module, inside a transaction rolled back at its end.

    Each test still runs in its own savepoint (the `db` fixture nests in this transaction), so
    whatever a request changes is undone before the next test, while the ~150 rows of the two
    worlds are inserted once instead of once per case. The slugs differ from the shared
    `world`/`world_b` fixtures, so a test may use both.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        a, b = build_world("tenant-a"), build_world("tenant-b")
        objects_a, objects_b = WorldObjects.build(a), WorldObjects.build(b)
        for world, objects in ((a, objects_a), (b, objects_b)):
            guest = build_guest(world)
            TeamMember.objects.create(
                workspace=world.workspace, team=objects[Team], user=guest.user
            )
        private_a = PrivateWorldObjects.build_private(a, objects_a)
        yield Worlds(a=a, b=b, objects_a=objects_a, objects_b=objects_b, private_a=private_a)
        transaction.set_rollback(True)


# Privacy: every model a route's URL can name is in exactly one of these. A team owns the rows
# in TEAM_OWNED: a non-member of a private team (and a guest off the team) gets 404 for them.
# WORKSPACE_WIDE rows show to everyone who may open the route (objectives count a private
# team's work but never title it). A new model in a route fails the privacy matrix until it
# is classified here.
TEAM_OWNED: frozenset[type[Model]] = frozenset(
    {
        Team,
        TeamMember,
        WorkflowState,
        Sprint,
        Task,
        TaskDependency,
        TaskComment,
        RoadmapItem,
        KeyResultLink,
        RoadmapItemDependency,
        Attachment,
        CustomField,
        CustomFieldOption,
        CustomFieldValue,
        Standard,
        Adoption,
        GateRecord,
        SavedView,
        Rule,
        Document,
        DocumentUpdate,
        DocumentVersion,
        DocumentComment,
        *TEAM_OWNED_DASHBOARD_MODELS,
    }
)
WORKSPACE_WIDE: frozenset[type[Model]] = frozenset(
    {
        Membership,
        Invitation,
        ApiToken,
        AuditEvent,
        Period,
        Objective,
        KeyResult,
        CheckIn,
        ObjectiveComment,
        Integration,
        InboundDelivery,
        SlackUserLink,
        WebhookSubscription,
        OutboxMessage,
        Notification,
        Roadmap,
        Label,
        ImportJob,
        # Provisioning links and tokens: read only by SCIM tokens and admins, who see all.
        ScimToken,
        ScimUser,
        ScimGroup,
        # The assistant's switch and audit log: read by admins, who see every team.
        AssistantSettings,
        AssistantLog,
    }
)
