"""Passkeys (WebAuthn, via py_webauthn) as a second factor: register one, pass the step with it.

A passkey never replaces the password here: it is asked for after it, like an app code. The
relying party is the host the browser is on (or WEBAUTHN_RP_ID / WEBAUTHN_ORIGINS when a
proxy changes it). Each challenge is kept in the session and used once.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from alignment.errors import NotFound
from alignment.models import User
from twofactor import selectors
from twofactor.errors import PasskeyRefused, TwoFactorOff
from twofactor.models import Passkey
from twofactor.services import audit_for_user, password_check

REGISTER_CHALLENGE_KEY = "twofactor_passkey_register"
LOGIN_CHALLENGE_KEY = "twofactor_passkey_login"
MAX_PASSKEYS = 10


def relying_party(request: HttpRequest) -> tuple[str, list[str]]:
    """(RP id, allowed origins): the settings when set, else the request's host (ALLOWED_HOSTS
    has validated it) and its own origin."""
    host = request.get_host()
    rp_id = settings.WEBAUTHN_RP_ID or host.rsplit(":", 1)[0].strip("[]")
    origins = settings.WEBAUTHN_ORIGINS or [f"{request.scheme}://{host}"]
    return rp_id, origins


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=bytes(passkey.credential_id))
        for passkey in Passkey.objects.filter(user=user)
    ]


def registration_options(request: HttpRequest, user: User) -> dict[str, Any]:
    """Options for navigator.credentials.create(); the challenge waits in the session."""
    if not selectors.has_two_factor(user):
        raise TwoFactorOff()
    rp_id, _ = relying_party(request)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=settings.OTP_TOTP_ISSUER,
        user_name=user.email,
        user_display_name=user.display_name,
        user_id=f"alignment-user-{user.pk}".encode(),
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[REGISTER_CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return json.loads(options_to_json(options))  # type: ignore[no-any-return]


def _name(raw: object, user: User) -> str:
    name = str(raw or "").strip()[:60]
    return name or f"Passkey {Passkey.objects.filter(user=user).count() + 1}"


def passkey_register(
    request: HttpRequest, user: User, *, credential: dict[str, Any], name: object
) -> Passkey:
    """Check the authenticator's answer to our challenge and keep its public key."""
    challenge = request.session.pop(REGISTER_CHALLENGE_KEY, None)
    if not challenge:
        raise PasskeyRefused(reason="the request expired; try again.")
    if not selectors.has_two_factor(user):
        raise TwoFactorOff()
    if Passkey.objects.filter(user=user).count() >= MAX_PASSKEYS:
        raise PasskeyRefused(reason=f"you have {MAX_PASSKEYS} passkeys already.")
    rp_id, origins = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origins,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused(reason=str(exc) or "the answer is malformed.") from exc
    if Passkey.objects.filter(credential_id=verified.credential_id).exists():
        raise PasskeyRefused(reason="this passkey is registered already.")
    transports = credential.get("response", {}).get("transports") or []
    with transaction.atomic():
        passkey = Passkey.objects.create(
            user=user,
            name=_name(name, user),
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=[str(t) for t in transports][:8],
        )
        audit_for_user(user, "two_factor.passkey_added", {"passkey": passkey.name})
    return passkey


def authentication_options(request: HttpRequest, user: User) -> dict[str, Any]:
    """Options for navigator.credentials.get(), limited to this person's passkeys."""
    descriptors = _descriptors(user)
    if not descriptors:
        raise PasskeyRefused(reason="you have no passkey; use a code instead.")
    rp_id, _ = relying_party(request)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=descriptors,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[LOGIN_CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return json.loads(options_to_json(options))  # type: ignore[no-any-return]


def passkey_check(request: HttpRequest, user: User, *, credential: dict[str, Any]) -> Passkey:
    """Check a passkey's signature over our challenge; refuses others' and replayed passkeys."""
    challenge = request.session.pop(LOGIN_CHALLENGE_KEY, None)
    if not challenge:
        raise PasskeyRefused(reason="the request expired; try again.")
    try:
        credential_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id")))
    except (ValueError, TypeError) as exc:
        raise PasskeyRefused(reason="the answer is malformed.") from exc
    passkey = Passkey.objects.filter(user=user, credential_id=credential_id).first()
    if passkey is None:
        raise PasskeyRefused(reason="this passkey is not registered to your account.")
    rp_id, origins = relying_party(request)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origins,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused(reason=str(exc) or "the answer is malformed.") from exc
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return passkey


def passkey_remove(*, user: User, passkey_id: int, password: str) -> Passkey:
    """Remove one of your passkeys (the authenticator app stays on); needs the password."""
    password_check(user, password)
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        raise NotFound("That passkey was not found.")
    with transaction.atomic():
        passkey.delete()
        audit_for_user(user, "two_factor.passkey_removed", {"passkey": passkey.name})
    return passkey
