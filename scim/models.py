"""SCIM 2.0 provisioning: the identity provider's tokens, and its users and groups.

A `ScimUser` is the identity provider's record of a person in one workspace; the person is an
ordinary `User`, and a member of the workspace exactly while the record is active. A
`ScimGroup` is a team the identity provider manages. Both keep their SCIM `id` (our pk) when
the provider deactivates a person, so that it can find and reactivate them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from alignment.models import Team, Workspace, new_bearer_token
from alignment.querysets import WorkspaceQuerySet


class ScimToken(models.Model):
    """The bearer token an identity provider provisions a workspace with. Stored hashed.

    It acts with the authority of the admin who created it: it stops working when they are
    no longer an admin of the workspace, and only an owner's token may deprovision owners.
    """

    PREFIX = "scim_"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="scim_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def generate(cls) -> tuple[str, str, str]:
        """Return (raw token, display prefix, hash)."""
        return new_bearer_token(cls.PREFIX)

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "active"


class ScimUser(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    active = models.BooleanField(default=True)
    # True when this record created the account: only then may the provider change its log-in
    # e-mail and name (and only while the person belongs to no other workspace).
    created_account = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("user_name"), name="scim_user_user_name_unique"
            ),
            models.UniqueConstraint(fields=["workspace", "user"], name="scim_user_user_unique"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="scim_group")
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"SCIM group of team {self.team_id}"
