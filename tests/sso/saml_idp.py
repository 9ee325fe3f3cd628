"""A SAML 2.0 identity provider for the tests: pysaml2's IdP with keys made at test time.

It reads real AuthnRequests (HTTP-Redirect) and writes real signed Responses (signed by
xmlsec1 with its own key), and can be told to misbehave: sign nothing, name another audience,
destination or request, or sign with a key its metadata does not publish. `serve()` also puts
it on 127.0.0.1 for the browser: GET /metadata, GET /sso/redirect (a sign-in page), POST
/sso/login (the auto-posting form to the ACS).
"""

from __future__ import annotations

import base64
import html
import shutil
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import AuthnRequest, authn_request_from_string
from saml2.server import Server

from tests.services import require

AUTHN = {"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}


def require_xmlsec1() -> str:
    """xmlsec1's path; the test skips without it locally and fails under CI=true."""
    path = shutil.which("xmlsec1")
    require(path is not None, "xmlsec1 (Debian package xmlsec1) for the SAML tests")
    assert path is not None
    return path


def _key_pair(directory: Path, name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"test idp {name}")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


class SamlIdp:
    def __init__(self, entity_id: str = "https://idp.example.test/metadata") -> None:
        self.xmlsec = require_xmlsec1()
        self.directory = Path(tempfile.mkdtemp(prefix="saml-idp-"))
        self.entity_id = entity_id
        self.base_url = "https://idp.example.test"
        self.email = "pat@acme.example.com"
        self.httpd: ThreadingHTTPServer | None = None
        self.sp_metadata: list[str] = []
        self.server = self._server("idp")
        # The same IdP name with a key its metadata does not publish (a forger's).
        self.forger = self._server("forger")

    def _server(self, key_name: str) -> Server:
        key_file, cert_file = _key_pair(self.directory, key_name)
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": self.xmlsec,
                "key_file": key_file,
                "cert_file": cert_file,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [
                                (f"{self.base_url}/sso/redirect", BINDING_HTTP_REDIRECT)
                            ]
                        },
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT],
                        "want_authn_requests_signed": False,
                    }
                },
                "metadata": {"inline": self.sp_metadata} if self.sp_metadata else {},
            }
        )
        return Server(config=config)

    def metadata(self) -> str:
        return create_metadata_string(None, config=self.server.config, valid=None).decode()

    def trust_sp(self, sp_metadata_xml: str) -> None:
        """Load the SP's metadata (as an admin pastes it into the IdP)."""
        self.sp_metadata.append(sp_metadata_xml)
        for server in (self.server, self.forger):
            server.metadata.load("inline", sp_metadata_xml)

    def read_request(self, idp_url: str) -> AuthnRequest:
        """The AuthnRequest in the URL our SP redirected the browser to."""
        query = parse_qs(urlsplit(idp_url).query)
        parsed = self.server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        return parsed.message

    def response(
        self,
        request: AuthnRequest,
        *,
        email: str | None = None,
        name_id: str | None = None,
        attributes: dict[str, list[str]] | None = None,
        sign_assertion: bool = True,
        sign_response: bool = False,
        audience: str | None = None,
        destination: str | None = None,
        in_response_to: str | None = None,
        forged: bool = False,
        tamper: tuple[str, str] | None = None,
    ) -> str:
        """A base64 SAMLResponse answering `request`, with the given defects."""
        email = email or self.email
        server = self.forger if forged else self.server
        args: dict[str, Any] = server.response_args(request)
        args["in_response_to"] = in_response_to or args["in_response_to"]
        args["destination"] = destination or args["destination"]
        args["sp_entity_id"] = audience or args["sp_entity_id"]
        name = NameID(
            format=NAMEID_FORMAT_EMAILADDRESS if name_id is None else NAMEID_FORMAT_PERSISTENT,
            text=name_id or email,
        )
        response = server.create_authn_response(
            identity=attributes if attributes is not None else {"displayName": ["Pat Example"]},
            userid=email,
            name_id=name,
            authn=AUTHN,
            sign_assertion=sign_assertion,
            sign_response=sign_response,
            name_id_policy=None,
            binding=BINDING_HTTP_POST,
            **{k: v for k, v in args.items() if k not in ("name_id_policy", "binding")},
        )
        xml = str(response)
        if tamper:
            assert tamper[0] in xml
            xml = xml.replace(tamper[0], tamper[1])
        return base64.b64encode(xml.encode()).decode()

    # --- over HTTP, for the browser -------------------------------------------------------

    def serve(self, host: str = "127.0.0.1") -> SamlIdp:
        """Listen on 127.0.0.1; `host` is the name the browser uses (another site than the
        app's, so that its POST to the ACS is cross-site as in production)."""
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, body: str, content_type: str = "text/html; charset=utf-8") -> None:
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/metadata":
                    return self._send(idp.metadata(), "application/samlmetadata+xml")
                if parts.path == "/sso/redirect":
                    request = idp.read_request(idp.base_url + self.path)
                    carried = html.escape(request.to_string().decode())
                    return self._send(
                        "<!doctype html><title>Test IdP</title><h1>Test IdP sign-in</h1>"
                        '<form method="post" action="/sso/login">'
                        f'<input type="hidden" name="request" value="{carried}">'
                        '<label>E-mail <input name="email" value=""></label>'
                        "<button>Sign in at the IdP</button></form>"
                    )
                self.send_error(404)
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                request = authn_request_from_string(form["request"][0])
                saml_response = idp.response(request, email=form["email"][0])
                acs = html.escape(request.assertion_consumer_service_url or "")
                # The HTTP-POST binding: a form the browser posts to the SP's ACS by itself.
                return self._send(
                    "<!doctype html><title>Signing in</title>"
                    f'<form id="post" method="post" action="{acs}">'
                    f'<input type="hidden" name="SAMLResponse" value="{saml_response}">'
                    "<noscript><button>Continue</button></noscript></form>"
                    "<script>document.getElementById('post').submit()</script>"
                )

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://{host}:{self.httpd.server_address[1]}"
        self.server = self._server("idp")
        self.forger = self._server("forger")
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        shutil.rmtree(self.directory, ignore_errors=True)
