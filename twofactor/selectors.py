"""Reads: who has two-factor on, what a person has set up, which workspaces require it."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from alignment.models import Membership, User, Workspace
from twofactor.models import Passkey, RecoveryCode, TwoFactorPolicy

# A workspace's rule is read on every page inside it; it changes rarely, so it is cached and
# the cache entry is dropped when it changes (alignment.cache fails open to the database).
POLICY_CACHE_SECONDS = 60


def policy_cache_key(slug: str) -> str:
    return f"twofactor:required:{slug}"


def confirmed_devices(user: User | int) -> QuerySet:
    """The person's authenticator-app device(s) that a code has confirmed."""
    user_id = user if isinstance(user, int) else user.pk
    return TOTPDevice.objects.filter(user_id=user_id, confirmed=True)


def has_two_factor(user: User | int) -> bool:
    """On means: an authenticator app is confirmed (passkeys and recovery codes come with it)."""
    return confirmed_devices(user).exists()


@dataclass(frozen=True)
class TwoFactorStatus:
    is_on: bool
    recovery_codes_left: int
    passkeys: list[Passkey]


def two_factor_status(user: User) -> TwoFactorStatus:
    """What the profile shows: on or off, recovery codes left, the passkeys."""
    is_on = has_two_factor(user)
    if not is_on:
        return TwoFactorStatus(is_on=False, recovery_codes_left=0, passkeys=[])
    return TwoFactorStatus(
        is_on=True,
        recovery_codes_left=RecoveryCode.objects.filter(user=user).unused().count(),
        passkeys=list(Passkey.objects.filter(user=user)),
    )


def workspace_requires_two_factor(slug: str) -> bool:
    """Whether the workspace with this slug requires two-factor (cached for a minute)."""
    key = policy_cache_key(slug)
    cached = cache.get(key)
    if cached is not None:
        return bool(cached)
    required = TwoFactorPolicy.objects.filter(workspace__slug=slug, required=True).exists()
    cache.set(key, required, POLICY_CACHE_SECONDS)
    return required


def policy_for(workspace: Workspace) -> TwoFactorPolicy:
    """The workspace's rule; an unsaved 'optional' one when it never had any."""
    policy = TwoFactorPolicy.objects.for_workspace(workspace).first()
    return policy or TwoFactorPolicy(workspace=workspace, required=False)


def members_without_two_factor(workspace: Workspace) -> QuerySet[Membership]:
    """Active members of the workspace who have not set two-factor up, by e-mail."""
    enrolled = TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)
    return (
        Membership.objects.for_workspace(workspace)
        .active()
        .filter(~Exists(enrolled))
        .select_related("user")
        .order_by("user__email", "pk")
    )
