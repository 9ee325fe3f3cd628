"""One world's objects for the tenancy and role matrices: a sample of every model, and
how a route's URL kwargs and request bodies are filled from them (see tests/matrix.py).

`MODEL_SAMPLES` builds one object per model eagerly, so a snapshot taken before a request
includes them; `FILLERS` names the kwargs that do not follow the `<model>_id` convention;
`BODIES` gives plausible bodies for unsafe methods whose views validate before they look up.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from alignment.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    Role,
    Team,
    TeamMember,
    TokenScope,
)
from attachments.models import Attachment
from dashboards.models import Deployment, Finding, Incident, Snapshot, TeamMetrics
from integrations.models import (
    Channel,
    DeliveryStatus,
    ImportJob,
    InboundDelivery,
    Integration,
    OutboxMessage,
    OutboxStatus,
    Provider,
    WebhookSubscription,
)
from integrations.notifications.models import Notification
from okrs.models import CheckIn, KeyResult, Objective, ObjectiveComment, Period
from readmodel.models import Rollup
from roadmaps.models import KeyResultLink, Roadmap, RoadmapItem, RoadmapItemDependency
from scim.models import ScimGroup, ScimToken, ScimUser
from scim.schemas import USER_SCHEMA
from tasks.models import (
    Label,
    Sprint,
    StateCategory,
    Task,
    TaskComment,
    TaskDependency,
    WorkflowState,
)
from tests.conftest import World, build_guest, build_world
from tests.factories import (
    ApiTokenFactory,
    InvitationFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)
from tests.factories.attachments import attach
from tests.factories.dashboards import dashboards_samples
from tests.factories.okrs import (
    CheckInFactory,
    KeyResultFactory,
    ObjectiveCommentFactory,
    ObjectiveFactory,
    PeriodFactory,
)
from tests.factories.sso import sso_samples
from tests.factories.work import (
    KeyResultLinkFactory,
    LabelFactory,
    RoadmapFactory,
    RoadmapItemDependencyFactory,
    RoadmapItemFactory,
    SprintFactory,
    TaskCommentFactory,
    TaskDependencyFactory,
    TaskFactory,
    state_of,
)

if TYPE_CHECKING:
    pass
else:
    pass

# --- One world's objects -------------------------------------------------------------------


class MissingFiller(LookupError):
    """A route kwarg or viewset model this module cannot fill; the message says what to add."""


class WorldObjects:
    """One object of every model in MODEL_SAMPLES, all in `world`'s workspace."""

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
                    "to tests/matrix_world.py."
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


# What a page or answer shown to a non-member of the private team must never contain.
SECRET = "Zq7Secret"


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


def _team_member(objects: WorldObjects) -> TeamMember:
    return TeamMember.objects.create(
        workspace=objects.workspace, team=objects[Team], user=objects.world.member.user
    )


def _audit_event(objects: WorldObjects) -> AuditEvent:
    team = objects[Team]
    return AuditEvent.objects.create(
        workspace=objects.workspace,
        actor=objects.world.owner.user,
        verb="team.created",
        object_type="team",
        object_id=str(team.pk),
        object_repr=str(team),
    )


def _integration(objects: WorldObjects) -> Integration:
    integration = Integration(
        workspace=objects.workspace, provider=Provider.GITHUB, name="GitHub", config={}
    )
    integration.set_secret(f"whsec-{uuid.uuid4().hex}")
    integration.save()
    return integration


def _inbound_delivery(objects: WorldObjects) -> InboundDelivery:
    # Failed, so that "reprocess" has something to do.
    return InboundDelivery.objects.create(
        workspace=objects.workspace,
        integration=objects[Integration],
        provider=Provider.GITHUB,
        delivery_id=uuid.uuid4().hex,
        event="pull_request",
        action="opened",
        body="{}",
        status=DeliveryStatus.FAILED,
    )


def _webhook_subscription(objects: WorldObjects) -> WebhookSubscription:
    subscription = WebhookSubscription(
        workspace=objects.workspace,
        url="https://hooks.example.com/alignment",
        event_types=["task.created"],
        created_by=objects.world.owner.user,
    )
    subscription.set_secret(f"whsec-{uuid.uuid4().hex}")
    subscription.save()
    return subscription


def _notification(objects: WorldObjects) -> Notification:
    # The owner's own (unread): the matrices call as the owner, and a notification is only
    # ever found by its recipient.
    task = objects[Task]
    return Notification.objects.create(
        workspace=objects.workspace,
        recipient=objects.world.owner.user,
        actor=objects.world.member.user,
        kind="assigned",
        sentence=f"{task.key} was assigned to you.",
        url=f"/w/{objects.workspace.slug}/tasks/{task.key}/",
        object_type="task",
        object_id=task.pk,
    )


def _outbox_message(objects: WorldObjects) -> OutboxMessage:
    # Dead, so that "retry" has something to do.
    return OutboxMessage.objects.create(
        workspace=objects.workspace,
        channel=Channel.WEBHOOK,
        destination="https://hooks.example.com/alignment",
        payload={"event": "task.created"},
        dedupe_key=uuid.uuid4().hex,
        event_type="task.created",
        subscription=objects[WebhookSubscription],
        status=OutboxStatus.DEAD,
        attempts=5,
    )


# The samples of these are about the sample team (tests.factories.dashboards).
TEAM_OWNED_DASHBOARD_MODELS = (Rollup, Snapshot, Finding, TeamMetrics, Deployment, Incident)

# One object per model, in the workspace of `objects.world`; parents come from `objects[...]`
# so that nested routes (a team and one of its members) get objects that belong together.
MODEL_SAMPLES: dict[type[Model], Callable[[WorldObjects], Any]] = {
    # A team of its own (not world.team): its key exists only in this workspace, so routes
    # that look teams up by key cannot find "the same" team in the other workspace.
    Team: lambda objects: TeamFactory(workspace=objects.workspace),
    Membership: lambda objects: objects.world.member,
    TeamMember: _team_member,
    Invitation: lambda objects: InvitationFactory(
        workspace=objects.workspace, invited_by=objects.world.owner.user
    ),
    # The viewer's own token: the role matrix's viewer may read and revoke it.
    ApiToken: lambda objects: ApiTokenFactory(
        workspace=objects.workspace, user=objects.world.viewer.user, scope=TokenScope.READ
    ),
    AuditEvent: _audit_event,
    Period: lambda objects: PeriodFactory(workspace=objects.workspace),
    Objective: lambda objects: ObjectiveFactory(
        period=objects[Period], team=objects[Team], owner=objects.world.member.user
    ),
    KeyResult: lambda objects: KeyResultFactory(
        objective=objects[Objective], owner=objects.world.member.user
    ),
    CheckIn: lambda objects: CheckInFactory(
        key_result=objects[KeyResult], author=objects.world.member.user
    ),
    ObjectiveComment: lambda objects: ObjectiveCommentFactory(
        objective=objects[Objective], author=objects.world.member.user
    ),
    Integration: _integration,
    InboundDelivery: _inbound_delivery,
    WebhookSubscription: _webhook_subscription,
    OutboxMessage: _outbox_message,
    Notification: _notification,
    Roadmap: lambda objects: RoadmapFactory(workspace=objects.workspace),
    RoadmapItem: lambda objects: RoadmapItemFactory(
        roadmap=objects[Roadmap], owner_team=objects[Team]
    ),
    KeyResultLink: lambda objects: KeyResultLinkFactory(
        item=objects[RoadmapItem], key_result=objects[KeyResult]
    ),
    RoadmapItemDependency: lambda objects: RoadmapItemDependencyFactory(
        blocking=objects[RoadmapItem], blocked=RoadmapItemFactory(roadmap=objects[Roadmap])
    ),
    WorkflowState: lambda objects: state_of(objects[Team]),
    Label: lambda objects: LabelFactory(workspace=objects.workspace),
    Sprint: lambda objects: SprintFactory(team=objects[Team]),
    # In the sample team: its key ("T7-1") exists in no other workspace.
    Task: lambda objects: TaskFactory(
        team=objects[Team],
        roadmap_item=objects[RoadmapItem],
        sprint=objects[Sprint],
        assignee=objects.world.member.user,
        created_by=objects.world.member.user,
    ),
    TaskDependency: lambda objects: TaskDependencyFactory(
        blocking=objects[Task], blocked=TaskFactory(team=objects[Team])
    ),
    TaskComment: lambda objects: TaskCommentFactory(
        task=objects[Task], author=objects.world.member.user
    ),
    # Uploaded by the member (who may delete their own file), with real bytes in storage.
    Attachment: lambda objects: attach(objects.world.member, objects[Task]),
    ImportJob: lambda objects: ImportJob.objects.create(
        workspace=objects.workspace,
        kind="tasks_csv",
        source=f"title,team\nImported,{objects[Team].key}\n",
        mapping={"title": "title", "team": "team"},
        created_by=objects.world.admin.user,
    ),
    **dashboards_samples(),
    **sso_samples(),
    ScimToken: lambda objects: ScimToken.objects.create(
        workspace=objects.workspace,
        name="Okta",
        prefix="scim_matrix",
        token_hash=uuid.uuid4().hex,
        created_by=objects.world.admin.user,
    ),
    # The viewer, provisioned: DELETE/active:false on it is a real deprovisioning.
    ScimUser: lambda objects: ScimUser.objects.create(
        workspace=objects.workspace,
        user=objects.world.viewer.user,
        user_name=objects.world.viewer.user.email,
    ),
    ScimGroup: lambda objects: ScimGroup.objects.create(
        workspace=objects.workspace, team=TeamFactory(workspace=objects.workspace)
    ),
}

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
    }
)

# URL kwargs that do not follow the `<model>_id` convention, by name, or by "<route name>:<kwarg>"
# when one name means different things on different routes.
FILLERS: dict[str, Callable[[WorldObjects], object]] = {
    "token_id": lambda objects: objects[ApiToken].pk,
    # A task's key (ENG-12) in routes nested under a task: tasks/<str:key>/comments/.
    "key": lambda objects: objects[Task].key,
    # The pk, not InboundDelivery.delivery_id (the provider's own id for it).
    "delivery_id": lambda objects: objects[InboundDelivery].pk,
    "message_id": lambda objects: objects[OutboxMessage].pk,
    "subscription_id": lambda objects: objects[WebhookSubscription].pk,
    # A roadmap item (roadmaps/<roadmap_id>/items/<item_id>/), as KeyResultLink.item names it.
    "item_id": lambda objects: objects[RoadmapItem].pk,
    # roadmaps/<roadmap_id>/items/<item_id>/links/<link_id>/: a KeyResultLink of that item.
    "link_id": lambda objects: objects[KeyResultLink].pk,
}

# URL kwargs that name no workspace's object but a constant of the protocol: filled the same in
# every world, and not probed with "B's value" by the tenancy matrix (there is none).
CONSTANT_KWARGS: dict[str, Callable[[WorldObjects], object]] = {
    "scim:resource_type:name": lambda objects: "User",
    "scim:schema:uri": lambda objects: USER_SCHEMA,
}

# The model each FILLERS kwarg draws from (the privacy matrix asks whether a team owns it).
FILLER_MODELS: dict[str, type[Model]] = {
    "token_id": ApiToken,
    "key": Task,
    "delivery_id": InboundDelivery,
    "message_id": OutboxMessage,
    "subscription_id": WebhookSubscription,
    "item_id": RoadmapItem,
    "link_id": KeyResultLink,
}

# Plausible bodies for unsafe methods, by route name, built from the caller's own world. Needed
# where a view validates the body before it looks the object up (see the module docstring).
BODIES: dict[str, Callable[[WorldObjects], dict[str, Any]]] = {
    "api-members-detail": lambda objects: {"role": Role.MEMBER},
    # Valid edits: if a lookup ever lost its scoping, the write would land in the snapshot.
    "api-teams-detail": lambda objects: {"name": "Renamed by the matrix", "key": "RNM"},
    "workspace:team_edit": lambda objects: {"name": "Renamed by the matrix", "key": "RNM"},
    "api-tasks-transition": lambda objects: {
        "state": state_of(objects[Team], StateCategory.STARTED).pk
    },
    "api-tasks-move": lambda objects: {"version": objects[Task].version},
    "api-tasks-move-to-team": lambda objects: {"team": objects.world.team.pk},
    "api-tasks-merge": lambda objects: {"into": objects[TaskDependency].blocked.key},
    "api-tasks-not-duplicate": lambda objects: {"other": objects[TaskDependency].blocked.key},
    # Valid arrange steps and layouts: a layout written through another workspace's team would
    # show up in the snapshot.
    "dashboards:leader_layout": lambda objects: {"action": "remove", "widget": "trend"},
    "dashboards:leader_layout_default": lambda objects: {"action": "save"},
    "dashboards:team_layout": lambda objects: {"action": "remove", "widget": "burndown"},
    "dashboards:team_layout_default": lambda objects: {"action": "save"},
    "api-dashboard-layout-leader": lambda objects: {"widgets": ["trend", "progress"]},
    "api-dashboard-layout-leader-default": lambda objects: {"widgets": ["trend"]},
    "api-dashboard-layout-team": lambda objects: {"widgets": ["burnup", "sprint"]},
    "api-dashboard-layout-team-default": lambda objects: {"widgets": ["burnup"]},
    # Valid dismissals and snoozes: one written through another workspace's finding would show.
    "api-findings-dismiss": lambda objects: {"reason": "Planned for next quarter"},
    "api-findings-snooze": lambda objects: {"reason": "After the launch", "until": _next_week()},
    "dashboards:finding_dismiss": lambda objects: {"reason": "Planned for next quarter"},
    "dashboards:finding_snooze": lambda objects: {"reason": "After launch", "until": _next_week()},
}


def _next_week() -> str:
    return (timezone.localdate() + timedelta(days=7)).isoformat()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@functools.cache
def _models_by_snake_name() -> dict[str, type[Model] | None]:
    found: dict[str, type[Model] | None] = {}
    for model in apps.get_models():
        key = _snake(model.__name__)
        found[key] = None if key in found else model  # None: ambiguous across apps
    return found


def model_for(route_name: str, kwarg: str) -> type[Model] | None:
    """The model whose sample fills the route's kwarg (FILLER_MODELS, else `<model>_id`)."""
    for key in (f"{route_name}:{kwarg}", kwarg):
        if key in FILLERS:
            return FILLER_MODELS.get(key)
    match = re.fullmatch(r"(\w+?)_(?:id|pk)", kwarg)
    return _models_by_snake_name().get(match.group(1)) if match else None


def filler_for(route_name: str, kwarg: str) -> Callable[[WorldObjects], object] | None:
    """FILLERS for the route's kwarg, else the sample of the model it names (`team_member_id`)."""
    for key in (f"{route_name}:{kwarg}", kwarg):
        if key in FILLERS:
            return FILLERS[key]
        if key in CONSTANT_KWARGS:
            return CONSTANT_KWARGS[key]
    match = re.fullmatch(r"(\w+?)_(?:id|pk)", kwarg)
    model = _models_by_snake_name().get(match.group(1)) if match else None
    if model is None:
        return None
    return lambda objects: objects[model].pk
