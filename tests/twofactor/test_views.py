"""Your two-factor pages: set up with a QR code, recovery codes once, turn off."""

from __future__ import annotations

from base64 import b32encode

import pytest
from django.urls import reverse

from tests.factories.core import PASSWORD
from tests.factories.twofactor import enrol, totp_code
from twofactor import selectors, services
from twofactor.models import RecoveryCode, hash_code

pytestmark = pytest.mark.django_db

SETUP = reverse("twofactor:setup")
OVERVIEW = reverse("twofactor:overview")
CODES = reverse("twofactor:recovery_codes")


def test_the_profile_offers_two_factor_set_up(member_client):
    page = member_client.get(reverse("accounts:profile")).content.decode()

    assert "Two-factor authentication" in page
    assert f'href="{SETUP}"' in page


def test_the_profile_says_when_it_is_on(member_client, world):
    enrol(world.member.user)

    page = member_client.get(reverse("accounts:profile")).content.decode()

    assert "Manage two-factor" in page
    assert f'href="{OVERVIEW}"' in page


def test_set_up_shows_an_inline_svg_qr_code_and_the_secret(member_client, world):
    response = member_client.get(SETUP)
    page = response.content.decode()
    device = services.totp_device_for_setup(user=world.member.user)  # the one shown

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    figure = page.split('<figure class="qr">')[1].split("</figure>")[0]
    assert figure.startswith('<svg width="')
    assert 'class="qr-code"' in figure
    secret = b32encode(device.bin_key).decode().rstrip("=")
    assert f"{secret[:4]} {secret[4:8]}" in page
    assert not selectors.has_two_factor(world.member.user)


def test_confirming_shows_the_recovery_codes_once(member_client, world):
    member_client.get(SETUP)
    device = services.totp_device_for_setup(user=world.member.user)

    response = member_client.post(SETUP, {"code": totp_code(device)})
    shown = member_client.get(CODES)
    again = member_client.get(CODES)

    assert response.status_code == 303
    assert response["Location"] == CODES
    codes = [
        line.split("<code>")[1].split("</code>")[0]
        for line in shown.content.decode().split("<li>")[1:]
    ]
    assert len(codes) == 10
    stored = set(
        RecoveryCode.objects.filter(user=world.member.user).values_list("code_hash", flat=True)
    )
    assert stored == {hash_code(code) for code in codes}
    assert again.status_code == 302  # gone from the session once shown
    assert again["Location"] == OVERVIEW


def test_a_wrong_code_at_set_up_is_shown_on_the_form(member_client, world):
    member_client.get(SETUP)
    device = services.totp_device_for_setup(user=world.member.user)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    response = member_client.post(SETUP, {"code": wrong})

    assert response.status_code == 422
    assert "That code is not right." in response.content.decode()
    assert not selectors.has_two_factor(world.member.user)


def test_set_up_returns_to_the_page_that_required_it(member_client, world):
    member_client.get(SETUP)
    device = services.totp_device_for_setup(user=world.member.user)
    target = world.workspace.get_absolute_url()

    member_client.post(SETUP, {"code": totp_code(device), "next": target})
    page = member_client.get(CODES).content.decode()

    assert f'href="{target}"' in page


def test_regenerating_codes_needs_the_password(member_client, world):
    _, old = enrol(world.member.user)
    url = reverse("twofactor:recovery_codes_regenerate")

    refused = member_client.post(url, {"password": "wrong"})
    done = member_client.post(url, {"password": PASSWORD})

    assert refused.status_code == 422
    assert "That is not your password." in refused.content.decode()
    assert done.status_code == 303
    page = member_client.get(CODES).content.decode()
    assert old[0] not in page
    assert page.count("<li><code>") == 10


def test_turning_off_from_the_overview(member_client, world):
    device, _ = enrol(world.member.user)

    response = member_client.post(
        reverse("twofactor:disable"),
        {"password": PASSWORD, "code": totp_code(device, steps=1)},
    )

    assert response.status_code == 303
    assert not selectors.has_two_factor(world.member.user)
    assert "Two-factor is" in member_client.get(OVERVIEW).content.decode()


def test_turning_off_with_a_wrong_code_keeps_it_on(member_client, world):
    enrol(world.member.user)

    response = member_client.post(
        reverse("twofactor:disable"), {"password": PASSWORD, "code": "123"}
    )

    assert response.status_code == 422
    assert selectors.has_two_factor(world.member.user)


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("twofactor:overview", "get"),
        ("twofactor:setup", "get"),
        ("twofactor:recovery_codes", "get"),
        ("twofactor:recovery_codes_regenerate", "post"),
        ("twofactor:disable", "post"),
        ("twofactor:passkey_options", "post"),
        ("twofactor:passkey_register", "post"),
    ],
)
def test_personal_pages_need_a_log_in(client, name, method):
    response = getattr(client, method)(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
