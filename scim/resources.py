"""Our rows as SCIM resources (RFC 7643 §4), with `meta.location` under the request's base."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from alignment.models import TeamMember
from scim.models import ScimGroup, ScimUser
from scim.schemas import GROUP_SCHEMA, USER_SCHEMA


def _meta(kind: str, obj: ScimUser | ScimGroup, base: str) -> dict[str, str]:
    return {
        "resourceType": kind,
        "created": obj.created_at.isoformat(),
        "lastModified": obj.updated_at.isoformat(),
        "location": f"{base}{kind}s/{obj.pk}",
    }


def groups_by_user(users: Iterable[ScimUser]) -> dict[int, list[dict[str, str]]]:
    """The SCIM-managed teams of each user, in one query: {user_id: [{value, display}]}."""
    users = list(users)
    if not users:
        return {}
    rows = (
        TeamMember.objects.for_workspace(users[0].workspace_id)
        .filter(user_id__in=[u.user_id for u in users], team__scim_group__isnull=False)
        .values_list("user_id", "team__scim_group__pk", "team__name")
        .order_by("team__name")
    )
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for user_id, group_id, name in rows:
        found[user_id].append({"value": str(group_id), "display": name, "type": "direct"})
    return found


def user_resource(
    scim_user: ScimUser, base: str, groups: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    user = scim_user.user
    name = {
        "formatted": user.full_name or f"{scim_user.given_name} {scim_user.family_name}".strip(),
        "givenName": scim_user.given_name,
        "familyName": scim_user.family_name,
    }
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "id": str(scim_user.pk),
        "userName": scim_user.user_name,
        "name": {k: v for k, v in name.items() if v},
        "displayName": user.display_name,
        "active": scim_user.active,
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "groups": groups if groups is not None else groups_by_user([scim_user]).get(user.pk, []),
        "meta": _meta("User", scim_user, base),
    }
    if scim_user.external_id:
        resource["externalId"] = scim_user.external_id
    return resource


def members_by_group(groups: Iterable[ScimGroup]) -> dict[int, list[dict[str, str]]]:
    """The provisioned members of each group's team, in one query."""
    groups = list(groups)
    if not groups:
        return {}
    team_to_group = {g.team_id: g.pk for g in groups}
    scim_users = ScimUser.objects.for_workspace(groups[0].workspace_id)
    rows = list(
        TeamMember.objects.for_workspace(groups[0].workspace_id)
        .filter(team_id__in=team_to_group, user_id__in=scim_users.values("user_id"))
        .values_list("team_id", "user_id", "user__email", "user__full_name")
        .order_by("user__email")
    )
    ids = dict(scim_users.filter(user_id__in={row[1] for row in rows}).values_list("user_id", "pk"))
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for team_id, user_id, email, full_name in rows:
        if user_id in ids:
            found[team_to_group[team_id]].append(
                {"value": str(ids[user_id]), "display": full_name or email}
            )
    return found


def group_resource(
    group: ScimGroup, base: str, members: list[dict[str, str]] | None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": str(group.pk),
        "displayName": group.team.name,
        "meta": _meta("Group", group, base),
    }
    if members is not None:
        for member in members:
            member["$ref"] = f"{base}Users/{member['value']}"
        resource["members"] = members
    if group.external_id:
        resource["externalId"] = group.external_id
    return resource
