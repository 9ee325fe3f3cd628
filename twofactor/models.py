"""Second factors of a person (recovery codes, passkeys) and a workspace's two-factor rule.

The authenticator-app secret itself is django-otp's `TOTPDevice` (one per person, confirmed
once a code from the app was accepted). A TOTP secret cannot be hashed: the server needs it
to compute the expected code. Recovery codes can, and are (SHA-256, like API tokens: they are
random, so a slow hash adds nothing).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from alignment.models import Workspace
from alignment.querysets import WorkspaceQuerySet


def hash_code(code: str) -> str:
    """The stored form of a recovery code, from what a person typed (case, spaces, dashes)."""
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


class RecoveryCodeQuerySet(models.QuerySet["RecoveryCode"]):
    def unused(self) -> RecoveryCodeQuerySet:
        return self.filter(used_at__isnull=True)


class RecoveryCode(models.Model):
    """One one-time code that passes the second step when the authenticator is lost."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = RecoveryCodeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id} ({'used' if self.used_at else 'unused'})"


class Passkey(models.Model):
    """A WebAuthn credential registered as a second factor (never instead of the password)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(max_length=60)
    credential_id = models.BinaryField(max_length=1023)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential_id"], name="passkey_credential_unique")
        ]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class TwoFactorPolicy(models.Model):
    """Whether a workspace requires its members to have two-factor on (one row, or none)."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="two_factor_policy"
    )
    required = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceQuerySet.as_manager()

    def __str__(self) -> str:
        return f"two-factor {'required' if self.required else 'optional'} in {self.workspace_id}"
