"""Provisioning writes: SCIM tokens, users (membership while active) and groups (teams).

Every write runs in one transaction as the token's creator (`ScimActor.member`), through the
workspace core's services where one exists (teams, team members, the end of a membership), so
SCIM cannot do what that admin could not do in the app, and the audit log says who set it up.

Split by resource: tokens (and the actor they stand for), users, groups.
"""

from scim.services.groups import (
    GroupFields,
    group_document,
    parse_group,
    scim_group_create,
    scim_group_delete,
    scim_group_replace,
)
from scim.services.tokens import (
    ScimActor,
    scim_actor_for,
    scim_token_create,
    scim_token_revoke,
)
from scim.services.users import (
    UserFields,
    parse_user,
    scim_user_create,
    scim_user_delete,
    scim_user_replace,
    user_document,
)

__all__ = [
    "ScimActor",
    "scim_actor_for",
    "scim_token_create",
    "scim_token_revoke",
    "UserFields",
    "parse_user",
    "scim_user_create",
    "scim_user_delete",
    "scim_user_replace",
    "user_document",
    "GroupFields",
    "group_document",
    "parse_group",
    "scim_group_create",
    "scim_group_delete",
    "scim_group_replace",
]
