"""The SAML 2.0 service provider: our metadata, the IdP's metadata, the AuthnRequest
(HTTP-Redirect binding) and the check of the IdP's Response (HTTP-POST binding). Protocol only:
no models, no sessions (saml_services.py holds the rules).

pysaml2 verifies signatures with xmlsec1 against the certificates in the IdP's metadata and
checks the validity window, audience, destination and InResponseTo; `verify_response` adds the
checks pysaml2 treats as optional (a Destination and an audience must be present, the bearer
confirmation's Recipient and InResponseTo must be ours, the Issuer must be the IdP).
"""

from __future__ import annotations

import base64
import binascii
import shutil
from dataclasses import dataclass
from typing import Any

import requests
from defusedxml import ElementTree
from django.conf import settings
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.mdstore import InMemoryMetaData
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from sso.admission import VerifiedIdentity
from sso.errors import (
    AssertionInvalid,
    MetadataInvalid,
    ProviderUnreachable,
    SamlUnavailable,
    SsoError,
    UnsolicitedResponse,
)
from sso.oidc import check_issuer_url

TIMEOUT = 10
MAX_METADATA_BYTES = 1_000_000
# Clock skew allowed between us and the IdP for NotBefore / NotOnOrAfter.
LEEWAY_SECONDS = 60
PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
# Attributes that carry a display name at common IdPs (Entra, Okta, Keycloak, Google).
NAME_ATTRIBUTES = (
    "displayName",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "name",
    "cn",
)


@dataclass(frozen=True)
class ServiceProvider:
    """Our side of one workspace's SAML connection."""

    entity_id: str
    acs_url: str
    idp_metadata_xml: str
    email_attribute: str = ""


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str


def xmlsec_binary() -> str:
    """The xmlsec1 program pysaml2 verifies signatures with; without it SAML cannot work."""
    path = settings.SAML_XMLSEC_BINARY or shutil.which("xmlsec1")
    if not path:
        raise SamlUnavailable()
    return path


def _config(sp: ServiceProvider | None, *, metadata_xml: str = "") -> SPConfig:
    config = SPConfig()
    xml = sp.idp_metadata_xml if sp else metadata_xml
    config.load(
        {
            "entityid": sp.entity_id if sp else "urn:alignment:metadata-check",
            "xmlsec_binary": xmlsec_binary(),
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [
                            (sp.acs_url if sp else "https://invalid/acs", BINDING_HTTP_POST)
                        ]
                    },
                    # A signed Response or a signed Assertion: never neither.
                    "want_response_signed": False,
                    "want_assertions_signed": False,
                    "want_assertions_or_response_signed": True,
                    "authn_requests_signed": False,
                    # IdP-initiated sign-in is refused: every answer must answer our request.
                    "allow_unsolicited": False,
                    "only_use_keys_in_metadata": True,
                    "name_id_format": (
                        [] if sp and sp.email_attribute else [NAMEID_FORMAT_EMAILADDRESS]
                    ),
                }
            },
            "metadata": {"inline": [xml]} if xml else {},
            "accepted_time_diff": LEEWAY_SECONDS,
            "allow_unknown_attributes": True,
        }
    )
    return config


# --- metadata ------------------------------------------------------------------------------


def fetch_metadata(url: str) -> str:
    """The IdP's metadata document at `url` (https, public unless private IdPs are allowed)."""
    check_issuer_url(url)
    try:
        response = requests.get(url, timeout=TIMEOUT, allow_redirects=False, stream=True)
        body = response.raw.read(MAX_METADATA_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise ProviderUnreachable(what="metadata URL", reason=type(exc).__name__) from exc
    if response.status_code != 200:
        raise ProviderUnreachable(what="metadata URL", reason=f"HTTP {response.status_code}")
    if len(body) > MAX_METADATA_BYTES:
        raise MetadataInvalid("The metadata is larger than 1 MB.")
    return body.decode("utf-8", errors="replace")


def parse_idp_metadata(xml: str) -> IdpMetadata:
    """The one IdP described by `xml`, with a Redirect-binding endpoint and a signing key."""
    xml = xml.strip()
    if not xml.startswith("<"):
        raise MetadataInvalid("This is not XML: paste the IdP's metadata document.")
    try:
        ElementTree.fromstring(xml)  # refuses entities and DTDs before pysaml2 sees the text
    except Exception as exc:  # defusedxml raises several unrelated types
        raise MetadataInvalid(f"The metadata is not well-formed XML ({exc}).") from exc
    store = InMemoryMetaData(None, security=None)
    try:
        store.parse(xml)
    except Exception as exc:  # pysaml2 raises bare exceptions for schema violations
        raise MetadataInvalid(f"The metadata is not SAML 2.0 metadata ({exc}).") from exc
    idps = [eid for eid, entity in store.items() if "idpsso_descriptor" in entity]
    if not idps:
        raise MetadataInvalid("The metadata describes no identity provider (IDPSSODescriptor).")
    if len(idps) > 1:
        raise MetadataInvalid(
            f"The metadata describes {len(idps)} identity providers; use your IdP's own."
        )
    entity_id = idps[0]
    endpoints = store.service(
        entity_id, "idpsso_descriptor", "single_sign_on_service", BINDING_HTTP_REDIRECT
    )
    if not endpoints:
        raise MetadataInvalid(
            "The identity provider has no SingleSignOnService with the HTTP-Redirect binding."
        )
    if not store.certs(entity_id, "idpsso", "signing"):
        raise MetadataInvalid(
            "The metadata holds no signing certificate, so no answer could be verified."
        )
    return IdpMetadata(entity_id=entity_id, sso_url=endpoints[0]["location"])


def sp_metadata_xml(sp: ServiceProvider) -> str:
    """Our metadata for the IdP: entity id, the ACS (HTTP-POST), the NameID we want."""
    return create_metadata_string(None, config=_config(sp), valid=None).decode()


# --- the sign-in ---------------------------------------------------------------------------


def authn_request(sp: ServiceProvider, *, idp_entity_id: str) -> tuple[str, str]:
    """(request id, the IdP URL with the AuthnRequest) for the HTTP-Redirect binding."""
    client = Saml2Client(config=_config(sp))
    # Ask for an e-mail NameID unless the e-mail comes from an attribute (then the IdP's
    # default, often a persistent id, is the better subject).
    name_id = {} if sp.email_attribute else {"nameid_format": NAMEID_FORMAT_EMAILADDRESS}
    request_id, info = client.prepare_for_authenticate(
        entityid=idp_entity_id, binding=BINDING_HTTP_REDIRECT, relay_state="", **name_id
    )
    location = dict(info["headers"])["Location"]
    return str(request_id), location


def in_response_to(saml_response: str) -> str:
    """The request id a posted Response claims to answer (unverified: used to find the
    request; `verify_response` then checks the signed parts name the same id)."""
    try:
        xml = base64.b64decode(saml_response, validate=True)
        root = ElementTree.fromstring(xml)
    except (binascii.Error, ValueError) as exc:
        raise AssertionInvalid(reason="the SAMLResponse is not base64") from exc
    except Exception as exc:
        raise AssertionInvalid(reason="the SAMLResponse is not well-formed XML") from exc
    if root.tag != f"{{{PROTOCOL_NS}}}Response":
        raise AssertionInvalid(reason="the SAMLResponse is not a Response")
    request_id = root.get("InResponseTo") or ""
    if not request_id:
        raise UnsolicitedResponse()
    return request_id


def verify_response(
    sp: ServiceProvider, *, saml_response: str, request_id: str
) -> VerifiedIdentity:
    """The identity in a posted Response to `request_id`, after every check passed."""
    client = Saml2Client(config=_config(sp))
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: "/"}
        )
    except SsoError:
        raise
    except Exception as exc:  # pysaml2 signals each failed check with its own exception type
        raise AssertionInvalid(reason=_describe(exc)) from exc
    if response is None:  # pysaml2's way to say "the Destination is not ours"
        raise AssertionInvalid(reason="its Destination is not this workspace's ACS URL")
    if response.response.destination != sp.acs_url:
        raise AssertionInvalid(reason="it names no Destination, or another one")
    assertion = response.assertion
    if assertion is None:
        raise AssertionInvalid(reason="it holds no assertion")
    _check_assertion(sp, assertion, request_id=request_id, idp=response.issuer())
    name_id = assertion.subject.name_id if assertion.subject else None
    if name_id is None or not (name_id.text or "").strip():
        raise AssertionInvalid(reason="it names no subject (NameID)")
    attributes = _attributes(assertion)
    subject = name_id.text.strip()
    if sp.email_attribute:
        email = (attributes.get(sp.email_attribute) or [""])[0]
    elif name_id.format == NAMEID_FORMAT_EMAILADDRESS:
        email = subject
    else:
        email = ""
    name = next((attributes[n][0] for n in NAME_ATTRIBUTES if attributes.get(n)), "")
    return VerifiedIdentity(
        issuer=response.issuer(),
        subject=subject[:255],
        email=email.strip().lower(),
        email_verified=None,
        name=name[:150],
    )


def _check_assertion(sp: ServiceProvider, assertion: Any, *, request_id: str, idp: str) -> None:
    """What pysaml2 lets pass when absent: SAML Core and Profiles §4.1.4.2-3 require them."""
    if assertion.issuer is None or assertion.issuer.text != idp:
        raise AssertionInvalid(reason="its assertion was issued by another entity")
    conditions = assertion.conditions
    audiences = [
        audience.text
        for restriction in (conditions.audience_restriction if conditions else [])
        for audience in restriction.audience
    ]
    if sp.entity_id not in audiences:
        raise AssertionInvalid(reason="its audience is not this workspace's entity id")
    bearer = [
        confirmation.subject_confirmation_data
        for confirmation in (assertion.subject.subject_confirmation if assertion.subject else [])
        if confirmation.method == "urn:oasis:names:tc:SAML:2.0:cm:bearer"
    ]
    if not any(
        data is not None and data.recipient == sp.acs_url and data.in_response_to == request_id
        for data in bearer
    ):
        raise AssertionInvalid(
            reason="its bearer confirmation names another Recipient or InResponseTo"
        )


def _attributes(assertion: Any) -> dict[str, list[str]]:
    """Attribute values by Name and by FriendlyName, as text."""
    found: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            values = [str(v.text).strip() for v in attribute.attribute_value if v.text]
            for key in (attribute.name, attribute.friendly_name):
                if key:
                    found.setdefault(key, values)
    return found


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    reasons = {
        "SignatureError": "its signature is missing or does not verify with the IdP's certificate",
        "ResponseLifetimeExceed": "it has expired (NotOnOrAfter is past)",
        "ToEarly": "it is not valid yet (NotBefore is in the future)",
        "UnsolicitedResponse": "it answers no request we sent",
        "StatusAuthnFailed": "the IdP says the authentication failed",
        "StatusRequestDenied": "the IdP denied the request",
    }
    if name in reasons:
        return reasons[name]
    text = str(exc)
    if "AudienceRestrictions" in text:
        return "its audience is not this workspace's entity id"
    if "Signature missing" in text or "not signed" in text.lower() or "are signed" in text:
        return "it is not signed (a signed assertion or response is required)"
    return f"{name}: {text[:160]}" if text else name
