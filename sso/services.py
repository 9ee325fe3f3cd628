"""Single sign-on rules: configuring a workspace's provider, starting and completing a log-in,
who may sign in and as whom, and the "SSO required" password policy."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from alignment.audit import audit_by, audited_delete, snapshot
from alignment.errors import FieldErrors, RoleRequired, StaleVersion
from alignment.models import Membership, Role, User, Workspace
from sso import oidc, saml
from sso.admission import SignedIn, sign_in
from sso.errors import (
    AmbiguousDomain,
    AttemptExpired,
    NoConnection,
    ProviderRefused,
    SsoError,
)
from sso.models import Protocol, SsoConnection

# A sign-in must come back from the IdP within this many minutes.
ATTEMPT_MINUTES = 10
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# What the audit log may show of a connection: never the client secret.
AUDITED_FIELDS = [
    "protocol",
    "issuer",
    "client_id",
    "client_secret_hint",
    "allowed_domains",
    "is_enabled",
    "auto_join",
    "default_role",
    "is_required",
    "break_glass_user",
    "saml_metadata_url",
    "saml_idp_entity_id",
    "saml_email_attribute",
]


@dataclass(frozen=True)
class Attempt:
    """A sign-in in flight, kept in the browser's session between the IdP's two legs."""

    workspace_id: int
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_url: str
    started_at: float  # a timestamp: sessions hold JSON

    def as_session(self) -> dict[str, Any]:
        return asdict(self)


# --- configuration -------------------------------------------------------------------------


def _clean_domains(raw: list[str]) -> list[str]:
    domains = sorted({d.strip().lower().lstrip("@") for d in raw if d.strip()})
    bad = [d for d in domains if not DOMAIN_RE.match(d)]
    if bad:
        raise FieldErrors({"allowed_domains": f"Not a domain name: {', '.join(bad)}."})
    if not domains:
        raise FieldErrors({"allowed_domains": "Name at least one e-mail domain, e.g. acme.com."})
    return domains


@transaction.atomic
def connection_save(
    *,
    actor: Membership,
    issuer: str,
    client_id: str,
    client_secret: str,
    allowed_domains: list[str],
    is_enabled: bool,
    auto_join: bool,
    default_role: str,
    is_required: bool,
    break_glass_user: User | None,
    expected_version: int | None,
    protocol: str = Protocol.OIDC,
    saml_metadata_url: str = "",
    saml_metadata_xml: str = "",
    saml_email_attribute: str = "",
    sp_id: str = "",
) -> SsoConnection:
    """Create or change the workspace's connection. OpenID Connect: the provider must answer
    discovery. SAML: the IdP's metadata (fetched from its URL, or pasted) must describe one
    IdP with a Redirect-binding endpoint and a signing certificate.

    An empty `client_secret` keeps the stored one (the page never shows it back)."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    workspace = actor.workspace
    connection = _locked_connection(actor, expected_version)
    before = snapshot(connection, AUDITED_FIELDS) if connection.pk else None
    issuer = issuer.strip()
    errors: dict[str, str] = {}
    domains: list[str] = []
    try:
        domains = _clean_domains(allowed_domains)
    except FieldErrors as exc:
        errors.update({k: v[0] for k, v in exc.fields.items()})
    # Never owner, and never guest: a guest is invited to named teams on purpose
    # (docs/teams.md), not made by a sign-in that names none.
    if default_role in (Role.OWNER, Role.GUEST) or default_role not in Role.values:
        errors["default_role"] = "New members join as admin, member or viewer."
    errors.update(
        _protocol_errors(
            connection,
            protocol=protocol,
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            saml_metadata_url=saml_metadata_url,
            saml_metadata_xml=saml_metadata_xml,
        )
    )
    if is_required and not _is_active_owner(workspace, break_glass_user):
        errors["break_glass_user"] = (
            "Requiring SSO needs a break-glass owner who can still log in with a password "
            "if the identity provider is down."
        )
    idp: saml.IdpMetadata | None = None
    if not errors:
        idp, saml_metadata_xml, errors = _provider_answers(
            protocol, issuer, saml_metadata_url, saml_metadata_xml
        )
    if errors:
        raise FieldErrors(errors)
    connection.protocol = protocol
    # The name the page showed before the first save, unless taken (a name is never shared).
    if sp_id and not connection.pk and not SsoConnection.objects.filter(sp_id=sp_id).exists():
        connection.sp_id = sp_id
    if idp is not None:
        connection.saml_metadata_url = saml_metadata_url.strip()
        connection.saml_metadata_xml = saml_metadata_xml
        connection.saml_idp_entity_id = idp.entity_id
        connection.saml_email_attribute = saml_email_attribute.strip()
    connection.issuer = issuer
    connection.client_id = client_id.strip()
    if client_secret:
        connection.set_client_secret(client_secret)
    connection.allowed_domains = domains
    connection.is_enabled = is_enabled
    connection.auto_join = auto_join
    connection.default_role = default_role
    connection.is_required = is_required
    connection.break_glass_user = break_glass_user if is_required else None
    connection.version += 1
    connection.save()
    after = snapshot(connection, AUDITED_FIELDS)
    if before != after:
        verb = "sso.updated" if before else "sso.created"
        audit_by(actor, verb=verb, obj=connection, before=before, after=after)
    return connection


def _locked_connection(actor: Membership, expected_version: int | None) -> SsoConnection:
    """The workspace's connection, locked for the save (a new unsaved one when it has none);
    a stale `expected_version` is refused."""
    workspace = actor.workspace
    connection = SsoConnection.objects.select_for_update().filter(
        workspace=workspace
    ).first() or SsoConnection(workspace=workspace, version=0)
    if expected_version is not None and connection.pk and connection.version != expected_version:
        raise StaleVersion(object="The single sign-on settings", current=connection.version)
    return connection


def _protocol_errors(
    connection: SsoConnection,
    *,
    protocol: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    saml_metadata_url: str,
    saml_metadata_xml: str,
) -> dict[str, str]:
    """What the chosen protocol needs: OIDC an issuer, client id and secret (an empty secret
    keeps the stored one); SAML the IdP's metadata URL or XML."""
    errors: dict[str, str] = {}
    is_saml = protocol == Protocol.SAML
    if protocol not in Protocol.values:
        errors["protocol"] = "Choose OpenID Connect or SAML 2.0."
    if not is_saml and not issuer:
        errors["issuer"] = "The issuer URL is required."
    if not is_saml and not client_id.strip():
        errors["client_id"] = "The client ID is required."
    if not is_saml and not client_secret and not connection.client_secret:
        errors["client_secret"] = "The client secret is required."
    if is_saml and not saml_metadata_url.strip() and not saml_metadata_xml.strip():
        errors["saml_metadata_url"] = "Give the IdP's metadata URL, or paste its metadata XML."
    return errors


def _is_active_owner(workspace: Workspace, user: User | None) -> bool:
    return (
        user is not None
        and Membership.objects.for_workspace(workspace)
        .filter(user=user, role=Role.OWNER, user__is_active=True)
        .exists()
    )


def _provider_answers(
    protocol: str, issuer: str, saml_metadata_url: str, saml_metadata_xml: str
) -> tuple[saml.IdpMetadata | None, str, dict[str, str]]:
    """Asks the provider: SAML metadata parsed (with the XML kept), or OIDC discovery; the
    field's error when it does not answer."""
    if protocol == Protocol.SAML:
        return _saml_metadata(saml_metadata_url, saml_metadata_xml)
    try:
        oidc.discover(issuer)
    except SsoError as exc:
        return None, saml_metadata_xml, {"issuer": exc.text}
    return None, saml_metadata_xml, {}


def _saml_metadata(url: str, xml: str) -> tuple[saml.IdpMetadata | None, str, dict[str, str]]:
    """The IdP's metadata (the URL wins over pasted XML), parsed; or the field's error."""
    field = "saml_metadata_url" if url.strip() else "saml_metadata_xml"
    try:
        if url.strip():
            xml = saml.fetch_metadata(url.strip())
        return saml.parse_idp_metadata(xml), xml.strip(), {}
    except SsoError as exc:
        return None, xml, {field: exc.text}


@transaction.atomic
def connection_delete(*, actor: Membership, connection: SsoConnection) -> None:
    """Turn single sign-on off for good; linked identities go with it, users and members stay."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    if connection.workspace_id != actor.workspace_id:
        raise NoConnection(what="This workspace")
    audited_delete(actor, verb="sso.deleted", obj=connection, fields=AUDITED_FIELDS)


# --- signing in ----------------------------------------------------------------------------


def connection_for_login(*, email_or_workspace: str) -> SsoConnection:
    """The enabled connection for an e-mail's domain, or for a workspace slug."""
    value = email_or_workspace.strip().lower()
    enabled = SsoConnection.objects.filter(is_enabled=True).select_related("workspace")
    if "@" in value:
        domain = value.rsplit("@", 1)[1]
        # JSON containment is not portable to SQLite; connections are few, so filter here.
        matches = [c for c in enabled if domain in c.allowed_domains]
        if len(matches) > 1:
            raise AmbiguousDomain(domain=domain)
        if not matches:
            raise NoConnection(what=f"The domain {domain}")
        return matches[0]
    connection = enabled.filter(workspace__slug=value).first()
    if connection is None:
        raise NoConnection(what=f"No workspace named “{value}”" if value else "This workspace")
    return connection


def login_begin(
    *, connection: SsoConnection, redirect_uri: str, next_url: str, now: datetime
) -> tuple[str, Attempt]:
    """The IdP URL to send the browser to, and the attempt to keep in its session."""
    try:
        metadata = oidc.discover(connection.issuer)
    except SsoError as exc:
        record_failure(connection, exc, now=now)
        raise
    request = oidc.authorization_request(
        metadata=metadata, client_id=connection.client_id, redirect_uri=redirect_uri
    )
    attempt = Attempt(
        workspace_id=connection.workspace_id,
        state=request.state,
        nonce=request.nonce,
        code_verifier=request.code_verifier,
        redirect_uri=redirect_uri,
        next_url=next_url,
        started_at=now.timestamp(),
    )
    return request.url, attempt


def login_complete(
    *,
    attempt: Attempt,
    code: str,
    error: str,
    error_description: str,
    current_user: User | None,
    now: datetime,
) -> SignedIn:
    """Finish the IdP's answer to `attempt`: verify it, then find or provision the person."""
    if now.timestamp() - attempt.started_at > ATTEMPT_MINUTES * 60:
        raise AttemptExpired(minutes=ATTEMPT_MINUTES)
    connection = (
        SsoConnection.objects.select_related("workspace")
        .filter(workspace_id=attempt.workspace_id, is_enabled=True)
        .first()
    )
    if connection is None:
        raise NoConnection(what="This workspace")
    if error:
        description = f" ({error_description[:200]})" if error_description else ""
        raise ProviderRefused(error=error[:100], description=description)
    if not code:
        raise ProviderRefused(error="no code", description="")
    try:
        metadata = oidc.discover(connection.issuer)
        tokens = oidc.redeem_code(
            metadata=metadata,
            client_id=connection.client_id,
            client_secret=connection.client_secret,
            redirect_uri=attempt.redirect_uri,
            code=code,
            code_verifier=attempt.code_verifier,
        )
        claims = oidc.verify_id_token(
            metadata=metadata,
            client_id=connection.client_id,
            id_token=tokens["id_token"],
            nonce=attempt.nonce,
            access_token=str(tokens.get("access_token") or ""),
            now=int(now.timestamp()),
        )
        identity = oidc.identity_from(
            metadata=metadata, claims=claims, access_token=str(tokens.get("access_token") or "")
        )
    except SsoError as exc:
        record_failure(connection, exc, now=now)
        raise
    signed_in = sign_in(connection=connection, identity=identity, current_user=current_user)
    SsoConnection.objects.filter(pk=connection.pk).update(last_login_at=now)
    return signed_in


def record_failure(connection: SsoConnection, exc: SsoError, *, now: datetime) -> None:
    """Keep the provider's last failure visible to the workspace's admins."""
    if exc.is_provider_fault:
        SsoConnection.objects.filter(pk=connection.pk).update(
            last_error=f"{exc.title}: {exc.text}"[:300], last_error_at=now
        )


# --- the password policy -------------------------------------------------------------------


def password_login_refusal(user: User) -> str | None:
    """Why `user` may not log in with a password (a workspace of theirs requires SSO), or None."""
    required = (
        SsoConnection.objects.filter(
            is_enabled=True, is_required=True, workspace__memberships__user=user
        )
        .exclude(break_glass_user=user)
        .select_related("workspace")
        .order_by("workspace__name")
        .first()
    )
    if required is None:
        return None
    return (
        f"{required.workspace.name} requires single sign-on. Use “Sign in with SSO” on the "
        "log-in page with your work e-mail address."
    )
