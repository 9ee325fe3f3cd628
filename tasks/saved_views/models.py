"""A saved view: a named query over tasks, in the search syntax (tasks.search_query).

The filter is the query string itself (`assignee:me state:"In Review" label:bug`), not a copy
of it in columns: every qualifier search understands (custom fields included, once they exist)
works in a view with no change here, and a view reads exactly like a search.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from alignment.models import Membership, Team, Workspace
from alignment.querysets import WorkspaceQuerySet


class ViewScope(models.TextChoices):
    PERSONAL = "personal", "Only me"
    TEAM = "team", "A team"
    WORKSPACE = "workspace", "Everyone in the workspace"


class ViewLayout(models.TextChoices):
    BOARD = "board", "Board"
    LIST = "list", "List"
    TABLE = "table", "Table"


class SavedViewQuerySet(WorkspaceQuerySet):
    def visible_to(self, membership: Membership) -> Self:
        """One's own views, the workspace's shared views (not for guests: a query may name a
        private team), and views shared with a team one may see."""
        rows = self.for_workspace(membership.workspace_id)
        shown = Q(owner_id=membership.user_id) | Q(
            scope=ViewScope.TEAM, team__in=Team.objects.visible_to(membership).values("pk")
        )
        if not membership.is_guest:
            shown |= Q(scope=ViewScope.WORKSPACE)
        return rows.filter(shown)

    def active(self) -> Self:
        return self.filter(archived_at__isnull=True)

    def archived(self) -> Self:
        return self.filter(archived_at__isnull=False)


class SavedView(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=200)  # the search syntax; MAX_QUERY_LENGTH
    scope = models.CharField(max_length=10, choices=ViewScope.choices, default=ViewScope.PERSONAL)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="saved_views"
    )
    layout = models.CharField(max_length=5, choices=ViewLayout.choices, default=ViewLayout.LIST)
    version = models.PositiveIntegerField(default=1)
    # Archived views leave the views list, the palette and search's suggestions but keep their
    # name (still unique per owner), so a restore never collides with a newer view.
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["workspace", "owner"], name="savedview_owner_idx")]
        constraints = [
            models.UniqueConstraint(
                "workspace", "owner", Lower("name"), name="savedview_name_unique_ci"
            ),
            models.CheckConstraint(
                condition=(Q(scope="team") & Q(team__isnull=False))
                | (~Q(scope="team") & Q(team__isnull=True)),
                name="savedview_team_iff_team_scope",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=[s.value for s in ViewScope]), name="savedview_scope_valid"
            ),
            models.CheckConstraint(
                condition=Q(layout__in=[s.value for s in ViewLayout]),
                name="savedview_layout_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_shared(self) -> bool:
        return self.scope != ViewScope.PERSONAL
