"""Who may sign in through single sign-on, and as whom: the rules both protocols share.

OpenID Connect (`sso.oidc`) and SAML (`sso.saml`) each turn the IdP's answer into a
`VerifiedIdentity`; `sign_in` applies the workspace's rules to it: allowed domains, the
account-takeover guard, just-in-time membership with the default role.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.audit import audit_record
from alignment.models import Membership, User
from sso.errors import AccountDisabled, AccountNeedsLink, DomainNotAllowed, EmailMissing, NotAMember
from sso.models import SsoConnection, SsoIdentity


@dataclass(frozen=True)
class VerifiedIdentity:
    """A person as the IdP vouched for them, after the protocol's checks passed."""

    issuer: str  # OIDC issuer, or SAML IdP entity id
    subject: str  # OIDC `sub`, or SAML NameID
    email: str
    email_verified: bool | None
    name: str


@dataclass(frozen=True)
class SignedIn:
    user: User
    membership: Membership
    joined: bool  # a just-in-time membership was created


@transaction.atomic
def sign_in(
    *, connection: SsoConnection, identity: VerifiedIdentity, current_user: User | None
) -> SignedIn:
    """Find or provision the person an IdP vouched for, whatever the protocol."""
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
    connection: SsoConnection, identity: VerifiedIdentity, current_user: User | None
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
