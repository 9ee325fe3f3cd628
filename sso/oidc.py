"""The OpenID Connect relying party: discovery, the authorization request, the code exchange
and the ID token check. Protocol only: no models, no sessions (services.py holds the rules).

Authlib builds the authorization URL with PKCE (S256) and redeems the code
(client_secret_basic); joserfc verifies the ID token's signature against the provider's JWKS,
and Authlib's `CodeIDToken` checks iss, aud, exp, iat, nonce, azp and at_hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from integrations.urlguard import BlockedDestination, check_public_url
from sso.admission import VerifiedIdentity
from sso.errors import (
    IdTokenInvalid,
    IssuerNotAllowed,
    ProviderMisconfigured,
    ProviderUnreachable,
    TokenRefused,
)

SCOPE = "openid email profile"
TIMEOUT = 10
DISCOVERY_CACHE_SECONDS = 300
# Asymmetric algorithms only: a token signed with the client secret (HS*) or unsigned ("none")
# is never accepted.
ID_TOKEN_ALGORITHMS = [
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
]
# Clock skew allowed between us and the provider when judging iat and exp.
LEEWAY_SECONDS = 60


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def check_issuer_url(issuer: str) -> None:
    """Refuse issuers that are not https (except on loopback) or that point at our network."""
    parts = urlsplit(issuer)
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise IssuerNotAllowed("The issuer must be an https:// URL.")
    if parts.query or parts.fragment:
        raise IssuerNotAllowed("The issuer has no query or fragment.")
    if settings.SSO_ALLOW_PRIVATE_ISSUERS:
        return
    try:
        check_public_url(issuer)
    except BlockedDestination as exc:
        raise IssuerNotAllowed(
            f"{parts.hostname} is not on the public internet; set SSO_ALLOW_PRIVATE_ISSUERS=true "
            "to use an identity provider on your own network."
        ) from exc


def _get_json(url: str, *, what: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT, headers=headers, allow_redirects=False)
    except requests.RequestException as exc:
        raise ProviderUnreachable(what=what, reason=type(exc).__name__) from exc
    if response.status_code != 200:
        raise ProviderUnreachable(what=what, reason=f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderMisconfigured(f"The provider's {what} is not JSON.") from exc
    if not isinstance(data, dict):
        raise ProviderMisconfigured(f"The provider's {what} is not a JSON object.")
    return data


def discover(issuer: str) -> ProviderMetadata:
    """The provider's endpoints from `<issuer>/.well-known/openid-configuration` (cached)."""
    check_issuer_url(issuer)
    key = "sso:discovery:" + hashlib.sha256(issuer.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return ProviderMetadata(**cached)
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    data = _get_json(url, what="discovery document")
    # OpenID Connect Discovery 1.0 §4.3: the document's issuer must be exactly the one asked.
    if data.get("issuer") != issuer:
        raise ProviderMisconfigured(
            f"The discovery document names the issuer {data.get('issuer')!r}, not {issuer!r}. "
            "Copy the issuer exactly as the provider states it."
        )
    try:
        metadata = ProviderMetadata(
            issuer=issuer,
            authorization_endpoint=str(data["authorization_endpoint"]),
            token_endpoint=str(data["token_endpoint"]),
            jwks_uri=str(data["jwks_uri"]),
            userinfo_endpoint=str(data.get("userinfo_endpoint") or ""),
        )
    except KeyError as exc:
        raise ProviderMisconfigured(f"The discovery document lacks {exc.args[0]}.") from exc
    for endpoint in (metadata.token_endpoint, metadata.jwks_uri, metadata.userinfo_endpoint):
        if endpoint:
            check_issuer_url(endpoint)  # the server fetches these too
    cache.set(key, metadata.__dict__, DISCOVERY_CACHE_SECONDS)
    return metadata


def authorization_request(
    *, metadata: ProviderMetadata, client_id: str, redirect_uri: str
) -> AuthorizationRequest:
    """A fresh state, nonce and PKCE verifier, and the URL that sends the browser to the IdP."""
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)
    client = OAuth2Session(
        client_id, scope=SCOPE, redirect_uri=redirect_uri, code_challenge_method="S256"
    )
    url, _ = client.create_authorization_url(
        metadata.authorization_endpoint, state=state, nonce=nonce, code_verifier=code_verifier
    )
    return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=code_verifier)


def redeem_code(
    *,
    metadata: ProviderMetadata,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) for tokens at the token endpoint."""
    client = OAuth2Session(
        client_id,
        client_secret,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
    )
    try:
        token = client.fetch_token(
            metadata.token_endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except OAuthError as exc:
        raise TokenRefused(error=exc.error or "error", description=exc.description or "") from exc
    except requests.RequestException as exc:
        raise ProviderUnreachable(what="token endpoint", reason=type(exc).__name__) from exc
    except ValueError as exc:  # a body that is not a token response
        raise ProviderMisconfigured("The token endpoint's answer is not a token response.") from exc
    if not token.get("id_token"):
        raise IdTokenInvalid(reason="the token response has no id_token (is 'openid' allowed?)")
    return dict(token)


def verify_id_token(
    *,
    metadata: ProviderMetadata,
    client_id: str,
    id_token: str,
    nonce: str,
    access_token: str,
    now: int,
) -> dict[str, Any]:
    """The ID token's claims, after its signature (provider's JWKS) and claims are checked."""
    jwks = _get_json(metadata.jwks_uri, what="key set (JWKS)")
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
    except (JoseError, ValueError, TypeError) as exc:
        raise IdTokenInvalid(reason=f"its signature does not verify ({_describe(exc)})") from exc
    claims = CodeIDToken(
        token.claims,
        token.header,
        options={
            "iss": {"essential": True, "value": metadata.issuer},
            "aud": {"essential": True, "value": client_id},
        },
        params={"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    try:
        claims.validate(now=now, leeway=LEEWAY_SECONDS)
    except JoseError as exc:
        raise IdTokenInvalid(reason=_describe(exc)) from exc
    return dict(claims)


def identity_from(
    *, metadata: ProviderMetadata, claims: dict[str, Any], access_token: str
) -> VerifiedIdentity:
    """Who signed in: the ID token's subject, and an e-mail from it or from userinfo."""
    info = claims
    if not claims.get("email") and metadata.userinfo_endpoint:
        info = _get_json(
            metadata.userinfo_endpoint,
            what="userinfo endpoint",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        # OIDC Core §5.3.2: userinfo about anyone but the token's subject must be ignored.
        if info.get("sub") != claims["sub"]:
            raise IdTokenInvalid(reason="userinfo describes another subject")
    email = str(info.get("email") or "").strip().lower()
    verified = info.get("email_verified")
    return VerifiedIdentity(
        issuer=metadata.issuer,
        subject=str(claims["sub"]),
        email=email,
        email_verified=verified if isinstance(verified, bool) else None,
        name=str(info.get("name") or "")[:150],
    )


def _describe(exc: Exception) -> str:
    return str(getattr(exc, "description", "") or exc) or type(exc).__name__
