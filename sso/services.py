"""Single sign-on rules: configuring a workspace's provider, starting and completing a log-in,
who may sign in and as whom, and the "SSO required" password policy."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.audit import audit_by, audit_record, snapshot
from alignment.errors import FieldErrors, RoleRequired, StaleVersion
from alignment.models import Membership, Role, User
from sso import oidc
from sso.errors import (
    AccountDisabled,
    AccountNeedsLink,
    AmbiguousDomain,
    AttemptExpired,
    DomainNotAllowed,
    EmailMissing,
    NoConnection,
    NotAMember,
    ProviderRefused,
    SsoError,
)
from sso.models import SsoConnection, SsoIdentity

# A sign-in must come back from the IdP within this many minutes.
ATTEMPT_MINUTES = 10
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# What the audit log may show of a connection: never the client secret.
AUDITED_FIELDS = [
    "issuer",
    "client_id",
    "client_secret_hint",
    "allowed_domains",
    "is_enabled",
    "auto_join",
    "default_role",
    "is_required",
    "break_glass_user",
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


@dataclass(frozen=True)
class SignedIn:
    user: User
    membership: Membership
    joined: bool  # a just-in-time membership was created


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
) -> SsoConnection:
    """Create or change the workspace's OIDC connection; the provider must answer discovery.

    An empty `client_secret` keeps the stored one (the page never shows it back)."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    workspace = actor.workspace
    connection = SsoConnection.objects.select_for_update().filter(
        workspace=workspace
    ).first() or SsoConnection(workspace=workspace, version=0)
    if expected_version is not None and connection.pk and connection.version != expected_version:
        raise StaleVersion(object="The single sign-on settings", current=connection.version)
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
    if not client_secret and not connection.client_secret:
        errors["client_secret"] = "The client secret is required."
    if is_required:
        is_owner = (
            break_glass_user is not None
            and Membership.objects.for_workspace(workspace)
            .filter(user=break_glass_user, role=Role.OWNER, user__is_active=True)
            .exists()
        )
        if not is_owner:
            errors["break_glass_user"] = (
                "Requiring SSO needs a break-glass owner who can still log in with a password "
                "if the identity provider is down."
            )
    if not errors:
        try:
            oidc.discover(issuer)
        except SsoError as exc:
            errors["issuer"] = exc.text
    if errors:
        raise FieldErrors(errors)
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


@transaction.atomic
def connection_delete(*, actor: Membership, connection: SsoConnection) -> None:
    """Turn single sign-on off for good; linked identities go with it, users and members stay."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    if connection.workspace_id != actor.workspace_id:
        raise NoConnection(what="This workspace")
    audit_by(actor, verb="sso.deleted", obj=connection, before=snapshot(connection, AUDITED_FIELDS))
    connection.delete()


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
        _record_failure(connection, exc, now=now)
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
        _record_failure(connection, exc, now=now)
        raise
    signed_in = _sign_in(connection=connection, identity=identity, current_user=current_user)
    SsoConnection.objects.filter(pk=connection.pk).update(last_login_at=now)
    return signed_in


def _record_failure(connection: SsoConnection, exc: SsoError, *, now: datetime) -> None:
    """Keep the provider's last failure visible to the workspace's admins."""
    if exc.is_provider_fault:
        SsoConnection.objects.filter(pk=connection.pk).update(
            last_error=f"{exc.title}: {exc.text}"[:300], last_error_at=now
        )


@transaction.atomic
def _sign_in(
    *, connection: SsoConnection, identity: oidc.VerifiedIdentity, current_user: User | None
) -> SignedIn:
    workspace = connection.workspace
    if not identity.email or identity.email_verified is False:
        raise EmailMissing()
    if not connection.allows_email(identity.email):
        raise DomainNotAllowed(email=identity.email, workspace=workspace.name)
    linked = (
        SsoIdentity.objects.select_related("user")
        .filter(connection=connection, issuer=identity.issuer, subject=identity.subject)
        .first()
    )
    user = linked.user if linked else _user_for_new_identity(connection, identity, current_user)
    if not user.is_active:
        raise AccountDisabled(email=user.email)
    membership = Membership.objects.for_workspace(workspace).filter(user=user).first()
    joined = False
    if membership is None:
        if not connection.auto_join:
            raise NotAMember(workspace=workspace.name, email=identity.email)
        membership = _join(connection, user)
        joined = True
    if linked is None:
        SsoIdentity.objects.create(
            workspace=workspace,
            connection=connection,
            user=user,
            issuer=identity.issuer,
            subject=identity.subject,
            email=identity.email,
            last_login_at=timezone.now(),
        )
        audit_record(
            workspace=workspace,
            actor=user,
            verb="sso.identity_linked",
            obj=connection,
            after={"subject": identity.subject, "email": identity.email},
        )
    else:
        SsoIdentity.objects.filter(pk=linked.pk).update(
            last_login_at=timezone.now(), email=identity.email
        )
    return SignedIn(user=user, membership=membership, joined=joined)


def _user_for_new_identity(
    connection: SsoConnection, identity: oidc.VerifiedIdentity, current_user: User | None
) -> User:
    """The account a first sign-in of this subject belongs to, created when there is none.

    An existing account is linked only when that cannot hand someone else's other workspaces
    to this workspace's IdP: the account belongs to no other workspace, or its owner is
    logged in right now (they proved the password too). Otherwise an admin of any workspace
    could mint a token for anyone's address in a domain they list and take over their account.
    """
    user = User.objects.filter(email__iexact=identity.email).first()
    if user is None:
        if not connection.auto_join:
            raise NotAMember(workspace=connection.workspace.name, email=identity.email)
        try:
            with transaction.atomic():
                return User.objects.create_user(identity.email, None, full_name=identity.name)
        except IntegrityError:  # a concurrent first sign-in created it
            return User.objects.get(email__iexact=identity.email)
    if current_user is not None and current_user.pk == user.pk:
        return user
    elsewhere = (
        Membership.objects.filter(user=user).exclude(workspace_id=connection.workspace_id).exists()
    )
    if elsewhere or user.is_staff or user.is_superuser:
        raise AccountNeedsLink(email=identity.email)
    return user


def _join(connection: SsoConnection, user: User) -> Membership:
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                workspace=connection.workspace, user=user, role=connection.default_role
            )
    except IntegrityError:  # joined concurrently
        return Membership.objects.for_workspace(connection.workspace).get(user=user)
    audit_record(
        workspace=connection.workspace,
        actor=user,
        verb="member.joined_by_sso",
        obj=membership,
        after={"role": membership.role},
    )
    return membership


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
