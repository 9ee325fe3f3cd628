"""SAML sign-in rules: send an AuthnRequest, accept its answer once at the ACS, and sign the
browser in once it comes back to us with the session that asked.

Why three steps: the IdP posts its Response cross-site, so our SameSite=Lax session cookie is
not sent with it. The ACS therefore checks the Response against the stored request
(`SamlRequest`, each id answered once), keeps the verified identity there, and redirects; the
browser's GET that follows is a top-level navigation that carries the session, which must hold
the same request id (so an answer posted into someone else's browser signs nobody in).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from alignment.models import User
from sso import saml
from sso.admission import SignedIn, VerifiedIdentity, sign_in
from sso.errors import (
    AttemptExpired,
    NoConnection,
    RequestAlreadyUsed,
    SsoError,
    StateMismatch,
)
from sso.models import Protocol, SamlRequest, SamlRequestState, SsoConnection
from sso.services import ATTEMPT_MINUTES, record_failure


def service_provider(connection: SsoConnection, *, base_url: str) -> saml.ServiceProvider:
    """Our SP for `connection`: its entity id is its metadata URL, as most IdPs expect."""
    root = f"{base_url.rstrip('/')}/accounts/sso/saml/{connection.sp_id}"
    return saml.ServiceProvider(
        entity_id=f"{root}/metadata/",
        acs_url=f"{root}/acs/",
        idp_metadata_xml=connection.saml_metadata_xml,
        email_attribute=connection.saml_email_attribute,
    )


def connection_by_sp_id(sp_id: str) -> SsoConnection:
    connection = (
        SsoConnection.objects.select_related("workspace")
        .filter(sp_id=sp_id, protocol=Protocol.SAML)
        .first()
    )
    if connection is None:
        raise NoConnection(what="This address")
    return connection


def login_begin(
    *, connection: SsoConnection, base_url: str, next_url: str, now: datetime
) -> tuple[str, str]:
    """(the IdP URL with our AuthnRequest, its request id); the request is stored to be
    answered once."""
    forget_old_requests(now=now)
    sp = service_provider(connection, base_url=base_url)
    request_id, url = saml.authn_request(sp, idp_entity_id=connection.saml_idp_entity_id)
    SamlRequest.objects.create(
        workspace=connection.workspace,
        connection=connection,
        request_id=request_id,
        next_url=next_url,
        created_at=now,
    )
    return url, request_id


def acs_receive(
    *, connection: SsoConnection, base_url: str, saml_response: str, now: datetime
) -> str:
    """Check a Response posted to this connection's ACS; return the request id it answered.

    The request is marked answered before the checks, so an id is tried once whatever the
    outcome: a replay, or a second forgery with a stolen id, meets a used request."""
    if not connection.is_enabled:
        raise NoConnection(what=connection.workspace.name)
    request_id = saml.in_response_to(saml_response)
    request = SamlRequest.objects.filter(connection=connection, request_id=request_id).first()
    if request is None:
        raise StateMismatch()
    answered = SamlRequest.objects.filter(pk=request.pk, state=SamlRequestState.SENT).update(
        state=SamlRequestState.ANSWERED
    )
    if not answered:
        raise RequestAlreadyUsed()
    if now - request.created_at > timedelta(minutes=ATTEMPT_MINUTES):
        raise AttemptExpired(minutes=ATTEMPT_MINUTES)
    sp = service_provider(connection, base_url=base_url)
    try:
        identity = saml.verify_response(sp, saml_response=saml_response, request_id=request_id)
    except SsoError as exc:
        record_failure(connection, exc, now=now)
        raise
    SamlRequest.objects.filter(pk=request.pk).update(
        state=SamlRequestState.VERIFIED, identity=asdict(identity)
    )
    return request_id


def login_complete(
    *, request_id: str, current_user: User | None, now: datetime
) -> tuple[SignedIn, str]:
    """Sign in the identity verified for `request_id` (the caller checked that this browser's
    session started it); returns who signed in and where to go next."""
    request = SamlRequest.objects.filter(
        request_id=request_id, state=SamlRequestState.VERIFIED
    ).first()
    if request is None:
        raise StateMismatch()
    used = SamlRequest.objects.filter(pk=request.pk, state=SamlRequestState.VERIFIED).update(
        state=SamlRequestState.USED, identity={}
    )
    if not used:  # a concurrent return used it first
        raise StateMismatch()
    identity_data = request.identity
    if now - request.created_at > timedelta(minutes=ATTEMPT_MINUTES):
        raise AttemptExpired(minutes=ATTEMPT_MINUTES)
    connection = (
        SsoConnection.objects.select_related("workspace")
        .filter(pk=request.connection_id, is_enabled=True, protocol=Protocol.SAML)
        .first()
    )
    if connection is None:
        raise NoConnection(what="This workspace")
    signed_in = sign_in(
        connection=connection,
        identity=VerifiedIdentity(**identity_data),
        current_user=current_user,
    )
    SsoConnection.objects.filter(pk=connection.pk).update(last_login_at=now)
    return signed_in, request.next_url


def forget_old_requests(*, now: datetime) -> int:
    """Delete requests older than a sign-in may take (they can no longer be answered)."""
    cutoff = now - timedelta(minutes=ATTEMPT_MINUTES * 6)
    deleted, _ = SamlRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
