"""Setting a workspace up for SAML: the IdP's metadata by URL or pasted, checked on save."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from django.test import Client

from alignment.models import AuditEvent, Role
from sso.models import Protocol, SsoConnection
from tests.conftest import World
from tests.sso.saml_idp import SamlIdp

URL = "/w/acme-inc/settings/sso/"


@pytest.fixture
def served_idp() -> Iterator[SamlIdp]:
    started = SamlIdp().serve()
    yield started
    started.stop()


def saml_form(**overrides: str) -> dict[str, str]:
    data = {
        "protocol": Protocol.SAML,
        "saml_metadata_url": "",
        "saml_metadata_xml": "",
        "saml_email_attribute": "",
        "allowed_domains": "acme.example.com",
        "is_enabled": "on",
        "auto_join": "on",
        "default_role": Role.MEMBER,
    }
    data.update(overrides)
    return data


def field_error(response) -> str:
    found = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', response.content.decode())
    return html.unescape(" | ".join(found))


def test_the_page_shows_the_sp_values_before_the_first_save_and_keeps_them(
    world: World, admin_client: Client, served_idp: SamlIdp
):
    page = admin_client.get(URL).content.decode()
    acs = re.search(r'id="sso-saml-acs-url">([^<]+)<', page)
    sp_id = re.search(r'name="sp_id" value="([^"]+)"', page)
    assert acs is not None
    assert sp_id is not None
    assert acs.group(1) == f"http://testserver/accounts/sso/saml/{sp_id.group(1)}/acs/"

    response = admin_client.post(
        URL, saml_form(saml_metadata_url=f"{served_idp.base_url}/metadata", sp_id=sp_id.group(1))
    )

    assert response.status_code == 303, field_error(response)
    connection = SsoConnection.objects.get(workspace=world.workspace)
    assert connection.protocol == Protocol.SAML
    assert connection.sp_id == sp_id.group(1)
    assert connection.saml_idp_entity_id == served_idp.entity_id
    assert "<" in connection.saml_metadata_xml
    assert AuditEvent.objects.filter(verb="sso.created").count() == 1
    metadata = Client().get(f"/accounts/sso/saml/{connection.sp_id}/metadata/").content.decode()
    assert f'Location="{acs.group(1)}"' in metadata


def test_pasted_metadata_is_accepted(world: World, admin_client: Client, served_idp: SamlIdp):
    response = admin_client.post(URL, saml_form(saml_metadata_xml=served_idp.metadata()))

    assert response.status_code == 303, field_error(response)
    assert SsoConnection.objects.get(workspace=world.workspace).saml_idp_entity_id == (
        served_idp.entity_id
    )


@pytest.mark.parametrize(
    ("xml", "error"),
    [
        ("not xml at all", "This is not XML"),
        ("<EntityDescriptor", "not well-formed XML"),
        (
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'entityID="https://sp.example.com"><md:SPSSODescriptor '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:'
            'HTTP-POST" Location="https://sp.example.com/acs" index="0"/>'
            "</md:SPSSODescriptor></md:EntityDescriptor>",
            "describes no identity provider",
        ),
        (
            '<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
            "not well-formed XML",
        ),
    ],
)
def test_unusable_metadata_is_refused_with_its_reason(
    world: World, admin_client: Client, xml: str, error: str
):
    response = admin_client.post(URL, saml_form(saml_metadata_xml=xml))

    assert response.status_code == 422
    assert error in field_error(response)
    assert not SsoConnection.objects.exists()


def test_metadata_without_a_signing_certificate_is_refused(
    world: World, admin_client: Client, served_idp: SamlIdp
):
    xml = re.sub(
        r"<ns\d:KeyDescriptor.*?</ns\d:KeyDescriptor>", "", served_idp.metadata(), flags=re.S
    )

    response = admin_client.post(URL, saml_form(saml_metadata_xml=xml))

    assert response.status_code == 422
    assert "no signing certificate" in field_error(response)


def test_an_unreachable_metadata_url_is_refused(world: World, admin_client: Client):
    response = admin_client.post(URL, saml_form(saml_metadata_url="http://127.0.0.1:9/metadata"))

    assert response.status_code == 422
    assert "did not answer" in field_error(response)


def test_saml_needs_metadata(world: World, admin_client: Client):
    response = admin_client.post(URL, saml_form())

    assert response.status_code == 422
    assert "metadata" in field_error(response)
