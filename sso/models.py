"""Single sign-on: a workspace's connection (OpenID Connect or SAML 2.0), the identities it has
linked, and the SAML requests in flight.

The client secret is stored so that we can redeem authorization codes, but it is never rendered
again, never written to the audit log and never logged; pages show `client_secret_hint`.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from alignment.models import Role, Workspace
from alignment.querysets import WorkspaceQuerySet
from integrations.models import secret_hint

# Who may join through SSO: never as owner (ownership is given by a person, not a claim), nor
# as a guest (a guest sees only the teams an invitation names, and a claim names none).
JOIN_ROLES = [(r.value, r.label) for r in Role if r not in (Role.OWNER, Role.GUEST)]


class Protocol(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML 2.0"


def new_sp_id() -> str:
    """The random name of a workspace's SAML service provider in its URLs (entity id, ACS):
    not the slug, which can be renamed and would tell strangers which workspaces exist."""
    return secrets.token_urlsafe(12)


class SsoConnection(models.Model):
    """A workspace's identity provider (one per workspace), by OpenID Connect or SAML 2.0.

    Who may sign in and as whom (domains, just-in-time membership, "SSO required") is the same
    for both protocols; only the fields of the chosen protocol are filled."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="sso_connection"
    )
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.OIDC)
    # OpenID Connect
    issuer = models.URLField(max_length=300, blank=True)
    client_id = models.CharField(max_length=255, blank=True)
    client_secret = models.CharField(max_length=500, blank=True)
    client_secret_hint = models.CharField(max_length=8, blank=True)
    # SAML 2.0: our service provider's name in URLs, and the IdP's metadata (fetched from the
    # URL on save, or pasted), from which its entity id, endpoint and certificates are read.
    sp_id = models.CharField(max_length=32, unique=True, default=new_sp_id)
    saml_metadata_url = models.URLField(max_length=500, blank=True)
    saml_metadata_xml = models.TextField(blank=True)
    saml_idp_entity_id = models.CharField(max_length=500, blank=True)
    # Empty: the e-mail is the NameID (format emailAddress); else this attribute's value.
    saml_email_attribute = models.CharField(max_length=300, blank=True)
    # Lower-case e-mail domains whose people may sign in (and are routed here by the log-in page).
    allowed_domains = models.JSONField(default=list)
    is_enabled = models.BooleanField(default=True)
    # Just-in-time membership: a person the IdP vouches for joins with `default_role`.
    auto_join = models.BooleanField(default=True)
    default_role = models.CharField(max_length=10, choices=JOIN_ROLES, default=Role.MEMBER)
    # Members may not log in with a password, except the break-glass owner.
    is_required = models.BooleanField(default=False)
    break_glass_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Health, shown on the settings page: the last success and the last failure with its reason.
    last_login_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(default_role=Role.OWNER), name="sso_default_role_not_owner"
            ),
            # A guest works only in the teams they are invited to: nobody joins as one by SSO.
            models.CheckConstraint(
                condition=~models.Q(default_role=Role.GUEST), name="sso_default_role_not_guest"
            ),
        ]

    def __str__(self) -> str:
        via = self.issuer if self.protocol == Protocol.OIDC else self.saml_idp_entity_id
        return f"SSO of {self.workspace_id} via {via}"

    @property
    def is_saml(self) -> bool:
        return self.protocol == Protocol.SAML

    def set_client_secret(self, raw: str) -> None:
        self.client_secret, self.client_secret_hint = raw, secret_hint(raw)

    def allows_email(self, email: str) -> bool:
        return email.rsplit("@", 1)[-1].lower() in self.allowed_domains


class SsoIdentity(models.Model):
    """A person at an identity provider (issuer + subject), linked to an Alignment user.

    Keyed by the subject, not the e-mail: an address can be renamed or reassigned at the IdP,
    the subject cannot.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(
        SsoConnection, on_delete=models.CASCADE, related_name="identities"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.URLField(max_length=300)
    subject = models.CharField(max_length=255)
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "issuer", "subject"], name="sso_identity_subject_unique"
            ),
            models.UniqueConstraint(fields=["connection", "user"], name="sso_identity_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer} → user {self.user_id}"


class SamlRequestState(models.TextChoices):
    SENT = "sent", "Sent to the IdP"
    ANSWERED = "answered", "Answered (being checked, or refused)"
    VERIFIED = "verified", "Verified, waiting for the browser that started it"
    USED = "used", "Signed in"


class SamlRequest(models.Model):
    """An AuthnRequest we sent, so that its answer is accepted once and only for it.

    The IdP posts its answer cross-site, where our SameSite=Lax session cookie is not sent, so
    the assertion is checked against this row (InResponseTo), not the session. The verified
    identity waits here until the browser follows our same-site redirect with its session, which
    must hold the same request id: that binds the answer to the browser that asked."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(
        SsoConnection, on_delete=models.CASCADE, related_name="saml_requests"
    )
    request_id = models.CharField(max_length=100, unique=True)
    state = models.CharField(
        max_length=10, choices=SamlRequestState.choices, default=SamlRequestState.SENT
    )
    next_url = models.CharField(max_length=500, blank=True)
    # The identity the assertion vouched for (issuer, subject, email, name), between the ACS
    # and the browser's return; emptied once used.
    identity = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="sso_samlrequest_created")]

    def __str__(self) -> str:
        return f"SAML request {self.request_id} ({self.state})"
