"""Passkeys as a second factor: registration and the log-in step refuse what they must."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from alignment.models import AuditEvent
from tests.conftest import client_for
from tests.factories.core import PASSWORD
from tests.factories.twofactor import enrol
from tests.factories.webauthn import SoftAuthenticator
from twofactor.login import METHOD_KEY
from twofactor.models import Passkey

pytestmark = pytest.mark.django_db


def post_json(client, name, body=None):
    return client.post(reverse(name), json.dumps(body or {}), content_type="application/json")


def register(client, authenticator, name="Laptop"):
    options = post_json(client, "twofactor:passkey_options").json()
    return post_json(
        client,
        "twofactor:passkey_register",
        {"name": name, "credential": authenticator.create(options)},
    )


@pytest.fixture
def enrolled(world):
    enrol(world.member.user)
    return client_for(world.member.user)


def start_login(client, user):
    client.post(reverse("accounts:login"), {"email": user.email, "password": PASSWORD})


def test_registering_keeps_the_public_key_and_audits_it(enrolled, world):
    authenticator = SoftAuthenticator()

    response = register(enrolled, authenticator)

    assert response.status_code == 201
    passkey = Passkey.objects.get(user=world.member.user)
    assert bytes(passkey.credential_id) == authenticator.credential_id
    assert passkey.name == "Laptop"
    assert passkey.transports == ["usb"]
    assert AuditEvent.objects.filter(
        workspace=world.workspace, verb="two_factor.passkey_added", after={"passkey": "Laptop"}
    ).exists()


def test_registering_needs_the_authenticator_app_first(member_client, world):
    response = post_json(member_client, "twofactor:passkey_options")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "two_factor_off"


def test_an_answer_from_another_origin_is_refused(enrolled, world):
    response = register(enrolled, SoftAuthenticator(origin="https://evil.example"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "passkey_refused"
    assert not Passkey.objects.exists()


def test_a_challenge_is_used_once(enrolled, world):
    options = post_json(enrolled, "twofactor:passkey_options").json()
    first, second = SoftAuthenticator(), SoftAuthenticator()
    body = {"credential": first.create(options)}

    assert post_json(enrolled, "twofactor:passkey_register", body).status_code == 201
    body = {"credential": second.create(options)}
    replay = post_json(enrolled, "twofactor:passkey_register", body)

    assert replay.status_code == 400
    assert "expired" in replay.json()["error"]["message"]
    assert Passkey.objects.count() == 1


def test_a_passkey_passes_the_log_in_step(enrolled, client, world):
    authenticator = SoftAuthenticator()
    register(enrolled, authenticator)
    start_login(client, world.member.user)

    options = post_json(client, "twofactor:passkey_login_options").json()
    response = post_json(
        client, "twofactor:passkey_login", {"credential": authenticator.get(options)}
    )

    assert response.status_code == 200
    assert response.json() == {"redirect": reverse("home")}
    assert client.session["_auth_user_id"] == str(world.member.user.pk)
    assert client.session[METHOD_KEY] == "passkey"
    assert Passkey.objects.get().sign_count == 1


def test_a_signature_by_another_key_is_refused(enrolled, client, world):
    authenticator = SoftAuthenticator()
    register(enrolled, authenticator)
    start_login(client, world.member.user)

    options = post_json(client, "twofactor:passkey_login_options").json()
    forged = authenticator.get(options, signer=ec.generate_private_key(ec.SECP256R1()))
    response = post_json(client, "twofactor:passkey_login", {"credential": forged})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_someone_elses_passkey_does_not_pass_my_step(world):
    enrol(world.admin.user)
    enrol(world.member.user)
    theirs = SoftAuthenticator()
    register(client_for(world.admin.user), theirs)
    client = client_for(world.member.user)
    client.logout()
    start_login(client, world.member.user)

    options = post_json(client, "twofactor:passkey_login_options")
    assert options.status_code == 400  # I have no passkey: nothing to ask for
    response = post_json(
        client, "twofactor:passkey_login", {"credential": theirs.get({"challenge": "x"})}
    )

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_the_passkey_step_needs_the_password_first(client):
    assert post_json(client, "twofactor:passkey_login_options").status_code == 401
    assert post_json(client, "twofactor:passkey_login").status_code == 401


def test_removing_a_passkey_needs_the_password_and_only_touches_mine(enrolled, world):
    register(enrolled, SoftAuthenticator())
    passkey = Passkey.objects.get()
    admin = client_for(world.admin.user)
    url = reverse("twofactor:passkey_remove", args=[passkey.pk])

    by_someone_else = admin.post(url, {"password": PASSWORD})
    wrong_password = enrolled.post(url, {"password": "nope"})
    removed = enrolled.post(url, {"password": PASSWORD})

    assert by_someone_else.status_code == 404
    assert wrong_password.status_code == 422
    assert removed.status_code == 303
    assert not Passkey.objects.exists()
    assert AuditEvent.objects.filter(verb="two_factor.passkey_removed").count() == 1
