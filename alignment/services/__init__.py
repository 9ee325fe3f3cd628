"""Writes with rules for the workspace core. Keyword-only, actor first, one transaction each.

Split by what they change: workspaces (create, sign up), teams, members (roles, removal),
invitations, tokens. Callers use `alignment.services.<name>`.
"""

from alignment.services.invitations import (
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from alignment.services.members import (
    membership_change_role,
    membership_end,
    membership_remove,
)
from alignment.services.teams import (
    TEAM_FIELDS,
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_set_private,
    team_update,
)
from alignment.services.tokens import (
    MAX_TOKEN_DAYS,
    api_token_create,
    api_token_revoke,
)
from alignment.services.workspaces import (
    user_sign_up,
    workspace_create,
)

__all__ = [
    "user_sign_up",
    "workspace_create",
    "TEAM_FIELDS",
    "team_create",
    "team_delete",
    "team_member_add",
    "team_member_remove",
    "team_set_private",
    "team_update",
    "membership_change_role",
    "membership_end",
    "membership_remove",
    "invitation_accept",
    "invitation_by_token",
    "invitation_create",
    "invitation_resend",
    "invitation_revoke",
    "MAX_TOKEN_DAYS",
    "api_token_create",
    "api_token_revoke",
]
