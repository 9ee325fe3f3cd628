"""Writes: set up and confirm the authenticator app, recovery codes, turn off, the rule.

Every change to a person's second factors is written to the audit log of each workspace they
belong to, so the admins who rely on two-factor see it switched off or a recovery code used.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from alignment.audit import audit_by, audit_record
from alignment.errors import FieldErrors
from alignment.models import Membership, Role, User
from alignment.tenancy import require_role
from twofactor import selectors
from twofactor.errors import (
    CodeThrottled,
    EnrolYourselfFirst,
    TwoFactorAlreadyOn,
    TwoFactorOff,
    TwoFactorSetupMissing,
)
from twofactor.models import Passkey, RecoveryCode, TwoFactorPolicy, hash_code

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes get read off paper. 10 of 31 symbols are ~49 bits, far beyond guessing
# under the log-in lock-out.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
DEVICE_NAME = "Authenticator app"


def audit_for_user(user: User, verb: str, after: dict[str, Any] | None = None) -> None:
    """Record a change of the person's own security in every workspace they belong to."""
    for membership in Membership.objects.filter(user=user).select_related("workspace"):
        audit_record(workspace=membership.workspace, actor=user, verb=verb, obj=user, after=after)


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _replace_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = timezone.now()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=hash_code(code), created_at=now) for code in codes
    )
    return codes


def password_check(user: User, password: str) -> None:
    if not user.check_password(password):
        raise FieldErrors(
            {"password": "That is not your password."}, message="Check your password."
        )


def totp_device_for_setup(*, user: User) -> Any:
    """The unconfirmed authenticator-app device to scan; the same one until it is confirmed."""
    if selectors.has_two_factor(user):
        raise TwoFactorAlreadyOn()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _verify_totp(device: Any, code: str) -> bool:
    """Check a 6-digit code against the device; django-otp throttles and refuses replays."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        wait = (details or {}).get("locked_until")
        seconds = max(1, round((wait - timezone.now()).total_seconds())) if wait else 1
        raise CodeThrottled(seconds=seconds)
    return bool(device.verify_token(code))


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def two_factor_enable(*, user: User, code: str) -> list[str]:
    """Confirm the authenticator app with a code from it; returns the new recovery codes."""
    if selectors.has_two_factor(user):
        raise TwoFactorAlreadyOn()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        raise TwoFactorSetupMissing()
    # Verified outside the transaction below: a wrong code's throttling count must persist.
    if not _verify_totp(device, _digits(code)):
        raise FieldErrors(
            {"code": "That code is not right. Enter the 6-digit code the app shows now."},
            message="That code is not right.",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _replace_recovery_codes(user)
        audit_for_user(user, "two_factor.enabled", {"method": "totp"})
    return codes


def second_factor_check(*, user: User, code: str) -> str | None:
    """Pass the second step with an app code or an unused recovery code (used up by this).

    Returns how ("totp" or "recovery_code"), or None for a wrong code. Raises CodeThrottled
    while django-otp's back-off after wrong app codes is running.
    """
    typed = _digits(code)
    if typed.isdigit() and len(typed) == 6:
        device = selectors.confirmed_devices(user).first()
        return "totp" if device is not None and _verify_totp(device, typed) else None
    if len([ch for ch in typed if ch.isalnum()]) != RECOVERY_CODE_LENGTH:
        return None
    with transaction.atomic():
        # One UPDATE that only an unused code matches: two requests racing with the same
        # code cannot both pass.
        used = (
            RecoveryCode.objects.filter(user=user, code_hash=hash_code(typed))
            .unused()
            .update(used_at=timezone.now())
        )
        if not used:
            return None
        left = RecoveryCode.objects.filter(user=user).unused().count()
        audit_for_user(user, "two_factor.recovery_code_used", {"recovery_codes_left": left})
    return "recovery_code"


def recovery_codes_regenerate(*, user: User, password: str) -> list[str]:
    """Replace every recovery code (used or not) with ten new ones; needs the password."""
    password_check(user, password)
    if not selectors.has_two_factor(user):
        raise TwoFactorOff()
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit_for_user(user, "two_factor.recovery_codes_regenerated")
    return codes


def two_factor_disable(*, user: User, password: str, code: str) -> None:
    """Turn two-factor off: the password and a current code (or a recovery code) are needed."""
    password_check(user, password)
    if not selectors.has_two_factor(user):
        raise TwoFactorOff()
    if second_factor_check(user=user, code=code) is None:
        raise FieldErrors(
            {"code": "That code is not right. Use the app's current code or a recovery code."},
            message="That code is not right.",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        Passkey.objects.filter(user=user).delete()
        audit_for_user(user, "two_factor.disabled")


def two_factor_policy_set(*, actor: Membership, required: bool) -> TwoFactorPolicy:
    """Require two-factor of every member of the actor's workspace, or stop requiring it."""
    require_role(actor, Role.ADMIN)
    if required and not selectors.has_two_factor(actor.user_id):
        raise EnrolYourselfFirst()
    workspace = actor.workspace
    with transaction.atomic():
        policy, _ = TwoFactorPolicy.objects.select_for_update().get_or_create(workspace=workspace)
        if policy.required == required:
            return policy
        before = {"required": policy.required}
        policy.required = required
        policy.updated_at = timezone.now()
        policy.save(update_fields=["required", "updated_at"])
        audit_by(
            actor,
            verb="workspace.two_factor_required" if required else "workspace.two_factor_optional",
            obj=workspace,
            before=before,
            after={"required": required},
        )
        transaction.on_commit(lambda: cache.delete(selectors.policy_cache_key(workspace.slug)))
    return policy
