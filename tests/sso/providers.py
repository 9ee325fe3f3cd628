"""OpenID Providers the SSO tests start on 127.0.0.1.

- `NodeOidcProvider`: panva's `oidc-provider` (OpenID Certified), installed from the npm
  registry with `npm ci` into tests/sso/oidc_provider/ on first use, run with node. The real
  thing, for the journeys that must work with any conforming provider.
- `ScriptedProvider`: a small provider in this process that speaks the same protocol
  (discovery, JWKS, token endpoint with client_secret_basic and PKCE S256, userinfo) with
  real RS256 signatures from joserfc, and can be told to misbehave the ways a hostile or broken
  provider does (foreign key, other nonce, other audience, expired token, HS256 with the client
  secret). A conforming provider cannot be made to do those, and they are what the relying
  party's checks are for.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from tests.services import require

NODE_DIR = Path(__file__).resolve().parent / "oidc_provider"


# --- the scripted provider -----------------------------------------------------------------


@functools.cache
def _rsa_key(name: str) -> RSAKey:
    """One key per name for the whole run: generating 2048-bit keys per test is slow."""
    return RSAKey.generate_key(2048, {"kid": "idp-1"})


@dataclass
class Grant:
    """What the provider remembers about one authorization code."""

    nonce: str
    code_challenge: str
    redirect_uri: str
    claims: dict[str, Any]
    sign: str = "own-key"  # "own-key" | "foreign-key" | "client-secret-hs256"


@dataclass
class ScriptedProvider:
    client_id: str = "alignment-test"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    key: RSAKey = field(default_factory=lambda: _rsa_key("own"))
    # Same kid as `key`, other key material: what an attacker who guessed the kid would sign with.
    foreign_key: RSAKey = field(default_factory=lambda: _rsa_key("foreign"))
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    # The discovery document's issuer, when a test wants it to differ from the real one.
    advertised_issuer: str | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> ScriptedProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif path == "/jwks":
                    self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                elif path == "/userinfo":
                    self._json(404, {"error": "not_found"})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = provider.token(form, self.headers.get("Authorization", ""))
                self._json(status, body)

            def _json(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.advertised_issuer or self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def authorize(
        self, authorization_url: str, *, sign: str = "own-key", **claims: Any
    ) -> dict[str, str]:
        """What the provider's login page would do: a code for this request, and the query the
        browser brings back to the redirect URI."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert query["response_type"] == "code"
        assert query["client_id"] == self.client_id
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            nonce=query["nonce"],
            code_challenge=query["code_challenge"],
            redirect_uri=query["redirect_uri"],
            claims=claims,
            sign=sign,
        )
        return {"code": code, "state": query["state"]}

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        expected = (
            "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        )
        if authorization != expected:
            return 401, {"error": "invalid_client"}
        grant = self.grants.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant.code_challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "subject-1",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            "email": "pat@acme.example.com",
            "email_verified": True,
            "name": "Pat Example",
            **grant.claims,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        if grant.sign == "client-secret-hs256":
            header = {"alg": "HS256"}
            key: Any = OctKey.import_key(self.client_secret)
            id_token = jwt.encode(header, claims, key, algorithms=["HS256"])
        else:
            key = self.key if grant.sign == "own-key" else self.foreign_key
            id_token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, claims, key)
        return 200, {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }


# --- the real one: oidc-provider on node ---------------------------------------------------


def _node_ready() -> bool:
    """node and npm are there, and the pinned oidc-provider is installed (npm ci, once)."""
    if not (shutil.which("node") and shutil.which("npm")):
        return False
    installed = NODE_DIR / "node_modules" / "oidc-provider" / "package.json"
    # xdist workers may get here together: one installs, the others wait for it.
    with open(NODE_DIR / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed.exists():
            return True
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    return result.returncode == 0 and installed.exists()


@dataclass
class NodeOidcProvider:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    now: int
    process: subprocess.Popen[str] | None = None
    port: int = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> NodeOidcProvider:
        require(_node_ready(), "node, npm and the oidc-provider package (npm ci)")
        options = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
            "now": self.now,
        }
        self.process = subprocess.Popen(
            ["node", "server.mjs", json.dumps(options)],
            cwd=NODE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NODE_ENV": "test"},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening "):
            self.stop()
            stderr = self.process.stderr.read() if self.process.stderr else ""
            require(False, f"oidc-provider on node (it said {line!r} {stderr[-500:]!r})")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
