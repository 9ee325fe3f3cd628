"""The workspace core: people, workspaces, teams, roles, invitations, API tokens, audit log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from alignment.querysets import WorkspaceQuerySet, hidden_from, visible_team_ids
from alignment.registry import Slot

# What a new team needs from the apps above the core (tasks: its default workflow states and
# task counter). Filled in TasksConfig.ready; called by Team.save on insert, in the saving
# transaction, so every way of creating a team (service, admin, demo seed, import, tests'
# factories) gets it, which a service-only call would miss. Fixture loading (raw saves) and
# bulk_create do not call save() and get nothing, as before with the post_save receiver.
team_created: Slot[Callable[[Team], None]] = Slot("alignment.models.team_created")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an e-mail address; belongs to workspaces through Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # How instants are shown to this person (IANA name); empty follows the workspace's zone.
    time_zone = models.CharField(max_length=64, blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    @property
    def initials(self) -> str:
        parts = self.display_name.replace(".", " ").split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"


slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1–50 lowercase letters, digits or hyphens, not starting or ending with a hyphen.",
)
RESERVED_SLUGS = frozenset({"new", "api", "admin", "static", "accounts", "w", "healthz"})


class Workspace(models.Model):
    """A tenant. Nothing inside one is ever visible from another."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    created_at = models.DateTimeField(auto_now_add=True)
    # Drift and risk thresholds live here as settings later issues read.
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("workspace:home", kwargs={"slug": self.slug})


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"
    GUEST = "guest", "Guest"


# Higher rank can do everything a lower rank can. A guest works like a member, but only in the
# teams they are on and only on the routes that admit guests (`guests=True` on a page,
# `guest_access` on an API view): the rank says what they may do, the route and
# `Team.objects.visible_to` say where. See docs/teams.md.
ROLE_RANK: dict[str, int] = {
    Role.GUEST: 1,
    Role.VIEWER: 0,
    Role.MEMBER: 1,
    Role.ADMIN: 2,
    Role.OWNER: 3,
}


class MembershipQuerySet(WorkspaceQuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(user__is_active=True)


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]
        ordering = ["user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def is_guest(self) -> bool:
        return self.role == Role.GUEST

    @property
    def sees_every_team(self) -> bool:
        """Admins and owners see private teams too; nobody else needs a filter skipped."""
        return self.has_role(Role.ADMIN)


team_key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$", "Use 2–10 capital letters or digits, starting with a letter."
)


class TeamQuerySet(WorkspaceQuerySet):
    def visible_to(self, membership: Membership) -> TeamQuerySet:
        """The teams `membership` may see: every team for admins and owners; public teams and
        their own private ones for members and viewers; only their own teams for guests.

        The rule lives in `visible_team_ids`; every team-owned queryset (`TeamScopedQuerySet`)
        filters through that subquery too, so scoping never costs a query of its own.
        """
        return self.for_workspace(membership.workspace_id).filter(
            self.visible_condition(membership)
        )

    def visible_condition(self, membership: Membership) -> models.Q:
        if membership.sees_every_team:
            return models.Q()
        return models.Q(pk__in=visible_team_ids(membership))

    def hidden_from(self, membership: Membership) -> models.QuerySet:
        """The pks of the workspace's teams `membership` may not see."""
        return hidden_from(self, membership)


class Team(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    key = models.CharField(max_length=10, validators=[team_key_validator])
    description = models.TextField(blank=True)
    # Private: only its members and the workspace's admins and owners see its work; company
    # rollups still count it, without titles ("work in a private team").
    is_private = models.BooleanField(default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMember", related_name="teams", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="team_key_unique"),
            models.UniqueConstraint(fields=["workspace", "name"], name="team_name_unique"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.key} · {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        setup = team_created.provider
        if adding and setup is not None:
            setup(self)


class TeamKeyAlias(models.Model):
    """A key a team had before it was changed: `OLD-12` keeps leading to the task now `NEW-12`.

    A team's current key always wins: a team claiming a key drops it as anyone's alias.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="key_aliases")
    key = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="team_key_alias_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → team {self.team_id}"


class TeamMember(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in team {self.team_id}"


def _default_invitation_expiry() -> Any:
    return timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)


class InvitationQuerySet(WorkspaceQuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True).filter(
            expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A single-use link e-mailed to a person; only the SHA-256 of its token is stored."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_default_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The teams a guest joins on accepting (guests see nothing else); empty for other roles.
    teams = models.ManyToManyField(Team, through="InvitationTeam", related_name="+", blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.workspace}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class InvitationTeam(models.Model):
    """A team an invitation puts its guest on."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "team"], name="invitation_team_unique")
        ]

    def __str__(self) -> str:
        return f"team {self.team_id} of invitation {self.invitation_id}"


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_bearer_token(prefix: str) -> tuple[str, str, str]:
    """A fresh bearer token with a recognisable prefix: (raw value, display prefix, hash)."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, raw[: len(prefix) + 6], hash_secret(raw)


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    """A workspace-bound bearer token. The raw value is shown once; we keep its SHA-256."""

    PREFIX = "aln_"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the raw token, so people can recognise it in lists and logs.
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def generate(cls) -> tuple[str, str, str]:
        """Return (raw token, display prefix, hash)."""
        return new_bearer_token(cls.PREFIX)

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class AuditEvent(models.Model):
    """Who did what to which object, with the fields before and after. Append-only."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="audit_ws_time_idx"),
            models.Index(fields=["workspace", "verb"], name="audit_ws_verb_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.object_type}:{self.object_id}"


class LoginFailure(models.Model):
    """Failed logins per (e-mail, address), counted for lock-out. Not tenant data."""

    email = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField()
    failures = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "ip_address"], name="login_failure_unique")
        ]

    def __str__(self) -> str:
        return f"{self.failures} failed log-ins for {self.email} from {self.ip_address}"


class IdempotencyRecord(models.Model):
    """A POST's stored response under its Idempotency-Key, replayed for 24 h. Not tenant data.

    `owner` scopes keys ("token:<id>" or "user:<id>"), so clients never see each other's
    replays. It is written in the request's own transaction with its answer, so a concurrent
    retry's insert waits on the unique constraint and then replays it. (A row with
    `status_code` null can only be left by an earlier version of this code.)
    """

    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} under key {self.key!r} of {self.owner}"

    @property
    def is_complete(self) -> bool:
        return self.status_code is not None


class ScheduledRun(models.Model):
    """A job that ran for one workspace on one of its local days (alignment.local_schedule).

    Written in the job's own transaction, so a run that fails leaves no row and is retried at
    the next tick, and a second worker's insert waits on the unique constraint, then skips."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    job = models.CharField(max_length=60)
    day = models.DateField()  # the workspace's local date the run was for
    ran_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "job", "day"], name="scheduled_run_once_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job} for workspace {self.workspace_id} on {self.day}"
