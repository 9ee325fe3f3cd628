"""How a route's URL kwargs and request bodies are filled from one world's objects, for the
tenancy and role matrices (see tests/matrix.py; the objects are tests/matrix_world.py's).

`FILLERS` names the kwargs that do not follow the `<model>_id` convention (`FILLER_MODELS`: the
model each draws from); `BODIES` gives plausible bodies for unsafe methods whose views validate
before they look up; `filler_for` and `model_for` answer for any route's kwarg.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model
from django.utils import timezone

from alignment.models import (
    ApiToken,
    Role,
    Team,
)
from documents.models import DocumentComment, DocumentVersion
from integrations.models import (
    InboundDelivery,
    Integration,
    OutboxMessage,
    SlackUserLink,
    WebhookSubscription,
)
from roadmaps.models import KeyResultLink, RoadmapItem
from scim.schemas import USER_SCHEMA
from tasks.models import (
    StateCategory,
    Task,
    TaskDependency,
)
from tests.factories.work import (
    state_of,
)

if TYPE_CHECKING:
    pass
else:
    pass

from tests.matrix_world import WorldObjects

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
    # The Slack connection's pages: the Slack integration of the sample link, and that link.
    "integrations:slack_users:integration_id": lambda objects: (
        objects[SlackUserLink].integration_id
    ),
    "integrations:slack_team:integration_id": lambda objects: objects[SlackUserLink].integration_id,
    "integrations:slack_user_unlink:integration_id": lambda objects: (
        objects[SlackUserLink].integration_id
    ),
    "integrations:slack_user_unlink:link_id": lambda objects: objects[SlackUserLink].pk,
    # documents/<document_id>/history/<version_id>/restore/: a version of that document.
    "documents:restore:version_id": lambda objects: objects[DocumentVersion].pk,
    # documents/<document_id>/comments/<comment_id>/resolve/: a comment on that document.
    "documents:comment_resolve:comment_id": lambda objects: objects[DocumentComment].pk,
    # /api/v1/…/documents/<pk>/versions/<version_id>/restore/: the same version.
    "api-documents-restore:version_id": lambda objects: objects[DocumentVersion].pk,
}

# URL kwargs that name no workspace's object but a constant of the protocol: filled the same in
# every world, and not probed with "B's value" by the tenancy matrix (there is none).
CONSTANT_KWARGS: dict[str, Callable[[WorldObjects], object]] = {
    "scim:resource_type:name": lambda objects: "User",
    "scim:schema:uri": lambda objects: USER_SCHEMA,
    # Inline editing: a field of the task by name (tasks/<key>/fields/<field>/), not an object.
    "tasks:field:field": lambda objects: "title",
    "tasks:field_edit:field": lambda objects: "title",
    # The field a card shortcut edits (tasks/<key>/shortcut/<name>/): a fixed set of names.
    "tasks:shortcut:name": lambda objects: "points",
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
    "integrations:slack_users:integration_id": Integration,
    "integrations:slack_team:integration_id": Integration,
    "integrations:slack_user_unlink:integration_id": Integration,
    "integrations:slack_user_unlink:link_id": SlackUserLink,
    "documents:restore:version_id": DocumentVersion,
    "documents:comment_resolve:comment_id": DocumentComment,
    "api-documents-restore:version_id": DocumentVersion,
}

# Plausible bodies for unsafe methods, by route name, built from the caller's own world. Needed
# where a view validates the body before it looks the object up (see the module docstring).
BODIES: dict[str, Callable[[WorldObjects], dict[str, Any]]] = {
    "api-members-detail": lambda objects: {"role": Role.MEMBER},
    # Valid edits: if a lookup ever lost its scoping, the write would land in the snapshot.
    "api-teams-detail": lambda objects: {"name": "Renamed by the matrix", "key": "RNM"},
    "workspace:team_edit": lambda objects: {"name": "Renamed by the matrix", "key": "RNM"},
    "tasks:field": lambda objects: {
        "title": "Renamed by the matrix",
        "version": objects[Task].version,
        "original": objects[Task].title,
    },
    "tasks:preview": lambda objects: {"description": "**Previewed by the matrix**"},
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
    # A valid team: a write through another workspace's connection would show in the snapshot.
    "integrations:slack_team": lambda objects: {"team_id": "T0CHANGED"},
    # A valid comment: one written on another workspace's document would show in the snapshot.
    "documents:comments": lambda objects: {
        "body": "Written by the matrix",
        "quote": "Launch",
        "anchor_start": "AAEIZ/ezBwA=",
        "anchor_end": "AAEIZ/ezBwY=",
    },
    "documents:comment_resolve": lambda objects: {"resolved": "1"},
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
