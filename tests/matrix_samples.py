"""One sample object of every model for the tenancy and role matrices, built in the
workspace of `objects.world` (tests/matrix_world.py's `WorldObjects` asks for them).

`MODEL_SAMPLES` builds one object per model eagerly, so a snapshot taken before a request
includes them; the private team's samples carry `SECRET` in their titles.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from alignment.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    Team,
    TeamMember,
    TokenScope,
)
from assistant.models import AssistantLog, AssistantSettings, Outcome
from attachments.models import Attachment
from automation.models import Rule, Trigger
from customfields.models import CustomField, CustomFieldOption, CustomFieldValue, FieldKind
from dashboards.models import Deployment, Finding, Incident, Snapshot, TeamMetrics
from documents import crdt as document_crdt
from documents.mentions import store_mentions
from documents.models import Document, DocumentComment, DocumentUpdate, DocumentVersion
from integrations.models import (
    Channel,
    DeliveryStatus,
    ImportJob,
    InboundDelivery,
    Integration,
    OutboxMessage,
    OutboxStatus,
    Provider,
    SlackLinkMethod,
    SlackUserLink,
    WebhookSubscription,
)
from integrations.notifications.models import Notification
from okrs.models import CheckIn, KeyResult, Objective, ObjectiveComment, Period
from readmodel.models import Forecast, Rollup
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
from tests.factories import (
    ApiTokenFactory,
    InvitationFactory,
    TeamFactory,
)
from tests.factories.attachments import attach
from tests.factories.customfields import define, set_values
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
    from tests.matrix_world import WorldObjects


# What a page or answer shown to a non-member of the private team must never contain.
SECRET = "Zq7Secret"


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


def _slack_user_link(objects: WorldObjects) -> SlackUserLink:
    # Its own Slack connection: the Slack users page is only a Slack connection's.
    slack = Integration(
        workspace=objects.workspace,
        provider=Provider.SLACK,
        name="Slack",
        config={"slack_team_id": "T0MATRIX"},
    )
    slack.set_secret(f"slack-{uuid.uuid4().hex}")
    slack.save()
    return SlackUserLink.objects.create(
        workspace=objects.workspace,
        integration=slack,
        slack_team_id="T0MATRIX",
        slack_user_id=f"U{uuid.uuid4().hex[:8].upper()}",
        user=objects.world.member.user,
        method=SlackLinkMethod.EMAIL,
    )


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


def _custom_field_value(objects: WorldObjects) -> CustomFieldValue:
    field = objects[CustomField]
    set_values(objects.world.member, objects[Task], **{field.name: "Acme"})
    return CustomFieldValue.objects.get(field=field, task=objects[Task])


# The samples of these are about the sample team (tests.factories.dashboards).
TEAM_OWNED_DASHBOARD_MODELS = (
    Rollup,
    Forecast,
    Snapshot,
    Finding,
    TeamMetrics,
    Deployment,
    Incident,
)

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
    SlackUserLink: _slack_user_link,
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
    # Shared with the sample team: everyone who sees the team may open it (its guest too);
    # its owner (the workspace owner, who sees every team) or an admin may change it.
    SavedView: lambda objects: SavedView.objects.create(
        workspace=objects.workspace,
        owner=objects.world.owner.user,
        name=f"Matrix view of {objects[Team].key}",
        query="priority:high",
        scope="team",
        team=objects[Team],
    ),
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
    # A team's own select (the private world's hides with its team), an option, a value.
    CustomField: lambda objects: define(
        objects.world.admin,
        f"Customer {uuid.uuid4().hex[:6]}",
        FieldKind.SELECT,
        options=["Acme", "Globex"],
        team=objects[Team],
        show_on_cards=True,
    ),
    CustomFieldOption: lambda objects: objects[CustomField].options.first(),
    CustomFieldValue: _custom_field_value,
    # A team's document (the private world's carries SECRET in its title and its text).
    Document: lambda objects: _document(objects),
    DocumentUpdate: lambda objects: DocumentUpdate.objects.create(
        workspace=objects.workspace,
        document=objects[Document],
        data=document_crdt.initial_state(" more")[0],
        author=objects.world.member.user,
    ),
    DocumentVersion: lambda objects: DocumentVersion.objects.create(
        workspace=objects.workspace,
        document=objects[Document],
        state=bytes(objects[Document].snapshot),
        body_text=objects[Document].body_text,
        label="v1",
    ),
    # A comment on the document's first word (anchors as a page makes them: base64 Yjs
    # relative positions).
    DocumentComment: lambda objects: DocumentComment.objects.create(
        workspace=objects.workspace,
        document=objects[Document],
        author=objects.world.member.user,
        body="Is this the right scope?",
        quote="Launch",
        anchor_start="AAEIZ/ezBwA=",
        anchor_end="AAEIZ/ezBwY=",
    ),
    ImportJob: lambda objects: ImportJob.objects.create(
        workspace=objects.workspace,
        kind="tasks_csv",
        source=f"title,team\nImported,{objects[Team].key}\n",
        mapping={"title": "title", "team": "team"},
        created_by=objects.world.admin.user,
    ),
    **dashboards_samples(),
    **sso_samples(),
    # A team's rule (a private team's hides with its team), with one run in its history.
    Rule: lambda objects: Rule.objects.create(
        workspace=objects.workspace,
        team=objects[Team],
        name="Comment on new tasks",
        trigger=Trigger.TASK_CREATED,
        actions=[{"kind": "comment", "text": "hello"}],
        created_by=objects.world.admin.user,
    ),
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
    # The assistant's rows: the model switch (off) and one logged call, so a snapshot shows
    # any write that lands in another workspace's switch or log.
    AssistantSettings: lambda objects: AssistantSettings.objects.create(
        workspace=objects.workspace, model_enabled=False
    ),
    AssistantLog: lambda objects: AssistantLog.objects.create(
        workspace=objects.workspace,
        actor=objects.world.member.user,
        feature="draft",
        endpoint="http://127.0.0.1:11434/v1",
        prompt=[{"role": "user", "content": "Make onboarding effortless"}],
        output="{}",
        outcome=Outcome.MODEL,
    ),
    # A team's own standard: hidden with a private team like its tasks.
    Standard: lambda objects: Standard.objects.create(
        workspace=objects.workspace,
        team=objects[Team],
        key=f"std-{uuid.uuid4().hex[:8]}",
        name=f"Standard of {objects[Team].name}",
        gate="done",
        checks=[{"kind": "estimate_present", "params": {}}],
    ),
    Adoption: lambda objects: Adoption.objects.create(
        workspace=objects.workspace, team=objects[Team], standard=objects[Standard]
    ),
    GateRecord: lambda objects: GateRecord.objects.create(
        workspace=objects.workspace,
        team=objects[Team],
        task=objects[Task],
        standard=objects[Standard],
        category="done",
        outcome="slipped",
        failing=["estimate_present"],
    ),
}


def _document(objects: WorldObjects) -> Document:
    title = f"{SECRET} document" if objects.private else "Launch PRD"
    # It mentions the workspace-wide objective: the objective's page (open to non-members of
    # the private team) must not list the private world's document among its backlinks.
    text = f"{title} body, for @objective:{objects[Objective].pk}"
    document = Document.objects.create(
        workspace=objects.workspace,
        team=objects[Team],
        title=title,
        snapshot=document_crdt.initial_state(text)[0],
        body_text=text,
        created_by=objects.world.member.user,
    )
    store_mentions(document_id=document.pk, workspace_id=objects.workspace.pk, text=text)
    return document
