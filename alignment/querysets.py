"""The base of every tenant-scoped queryset: one WHERE on an indexed workspace_id.

`visible_to(membership)` is the one selector every page, API list, search, export and message
reads through: for most rows it is the workspace filter; for rows a team owns
(`TeamScopedQuerySet`) it also applies the private-team and guest rule of
`visible_team_ids`, as a subquery in the same statement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

from django.db import models
from django.db.models.expressions import RawSQL

if TYPE_CHECKING:
    from alignment.models import Membership, Workspace


class WorkspaceQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace | int) -> Self:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        return self.filter(workspace_id=workspace_id)

    def visible_to(self, membership: Membership) -> Self:
        """What `membership` may see: here, everything in its workspace (no team owns it)."""
        return self.for_workspace(membership.workspace_id)

    def visible_condition(self, membership: Membership) -> models.Q:
        """`visible_to`'s rule on one row of the workspace, beyond the workspace filter (an
        empty Q: every row), for a query that labels rows instead of leaving them out."""
        return models.Q()


class TeamScopedQuerySet(WorkspaceQuerySet):
    """Rows that belong to a team: hidden with it when it is private (or not the guest's).

    `team_fields` are the lookups to the owning team(s); a row is visible when every one of
    them is a visible team. `team_optional` is for a nullable owner (a roadmap item without a
    team belongs to the whole workspace: visible to everyone but guests).
    """

    team_fields: ClassVar[tuple[str, ...]] = ("team",)
    team_optional: ClassVar[bool] = False

    def visible_to(self, membership: Membership) -> Self:
        return self.for_workspace(membership.workspace_id).filter(
            self.visible_condition(membership)
        )

    def visible_condition(self, membership: Membership) -> models.Q:
        """Every owning team is one `membership` may see (`visible_team_ids`); an empty Q for
        admins and owners, whose queries need no subquery at all."""
        condition = models.Q()
        if membership.sees_every_team:
            return condition
        teams = visible_team_ids(membership)
        for field in self.team_fields:  # forward foreign keys: one filter equals a chain
            owner = models.Q(**{f"{field}__in": teams})
            if self.team_optional and not membership.is_guest:
                owner |= models.Q(**{f"{field}__isnull": True})
            condition &= owner
        return condition

    def hidden_from(self, membership: Membership) -> models.QuerySet:
        """The pks of rows in `membership`'s workspace it may not see (counted, never titled)."""
        return hidden_from(self, membership)


def hidden_from(rows: WorkspaceQuerySet, membership: Membership) -> models.QuerySet:
    """The pks of `rows` (in membership's workspace) that `visible_to` leaves out."""
    in_workspace = rows.for_workspace(membership.workspace_id)
    return in_workspace.exclude(pk__in=in_workspace.visible_to(membership).values("pk")).values(
        "pk"
    )


def visible_team_ids(membership: Membership) -> RawSQL:
    """The ids of the teams a member, viewer or guest may see, as one SQL subquery: the
    private-team and guest rule, in one place (`Team.objects.visible_to` and every
    `TeamScopedQuerySet` filter through it).

    Written as SQL because every team-scoped list, page and search filters through it: built
    through the ORM (a queryset nested in a queryset) it cost ≈ 0.3 ms of CPU a request to
    compile, a sixth of an authenticated API GET (issue #15). Admins and owners need no filter.
    """
    from alignment.models import Team, TeamMember  # models import this module

    team, member = Team._meta.db_table, TeamMember._meta.db_table
    mine = f"SELECT team_id FROM {member} WHERE workspace_id = %s AND user_id = %s"
    if membership.is_guest:
        return RawSQL(mine, (membership.workspace_id, membership.user_id))
    return RawSQL(
        f"SELECT id FROM {team} WHERE workspace_id = %s AND (is_private = %s OR id IN ({mine}))",
        (membership.workspace_id, False, membership.workspace_id, membership.user_id),
    )


def visibility_of(membership: Membership) -> str:
    """The role that stands for `membership`'s kind of team visibility (admin: every team;
    guest: their own; member: public and their own). A query compiled once per process
    (`alignment.prepared`) is compiled once per kind, over an unsaved membership of that role."""
    from alignment.models import Role

    if membership.sees_every_team:
        return Role.ADMIN
    return Role.GUEST if membership.is_guest else Role.MEMBER
