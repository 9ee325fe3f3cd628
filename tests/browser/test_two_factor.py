"""Two-factor in a real browser: set up from the profile, log in with a code, with a passkey.

Codes are computed at the suite's pinned instant (tests/clock.py), which the live server
reads too. Passkeys use Chromium's virtual authenticator (DevTools `WebAuthn` domain).
"""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from alignment.models import AuditEvent
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.factories.core import PASSWORD
from tests.factories.twofactor import enrol, totp_code
from twofactor import services
from twofactor.models import Passkey

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def code_from_secret(secret_text: str, *, steps: int = 0) -> str:
    """What an authenticator app shows for the key typed from the page."""
    secret = secret_text.replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key)
    totp.time = totp.time + steps * 30
    return f"{totp.token():06d}"


def test_a_member_sets_up_two_factor_from_the_profile_and_logs_in_with_a_code(
    page: Page, world, console
):
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")

    page.goto("/accounts/profile/")
    page.get_by_role("link", name="Set up two-factor").click()
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    capture(page, "two-factor-setup")
    secret = page.get_by_label("Secret key").inner_text()
    page.get_by_label("Code from the app").fill(code_from_secret(secret))
    page.get_by_role("button", name="Turn on two-factor").click()

    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    capture(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("heading", name=re.compile("Two-factor is"))).to_contain_text("on")

    page.context.clear_cookies()
    log_in(page, email=world.member.user.email, password=PASSWORD)
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    capture(page, "two-factor-login")
    # The code of the next period: the one used at set-up may not be replayed.
    page.get_by_label("Code").fill(code_from_secret(secret, steps=1))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/w/acme-inc/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Inc")
    assert console.errors == []  # the inline SVG and the scripts pass the CSP


def test_a_wrong_code_keeps_the_person_on_the_second_step(page: Page, world):
    device, _ = enrol(world.member.user)
    log_in(page, email=world.member.user.email, password=PASSWORD)
    wrong = f"{(int(totp_code(device, steps=1)) + 1) % 1_000_000:06d}"

    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_text("That code is not right.")).to_be_visible()
    page.goto(f"/w/{world.workspace.slug}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_recovery_code_logs_in(page: Page, world):
    _, codes = enrol(world.member.user)
    log_in(page, email=world.member.user.email, password=PASSWORD)

    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/w/acme-inc/$"))
    expect(page.get_by_text("You used a recovery code")).to_be_visible()


def test_a_required_workspace_sends_the_member_to_set_up(page: Page, world):
    enrol(world.admin.user)
    services.two_factor_policy_set(actor=world.admin, required=True)

    log_in(page, email=world.member.user.email, password=PASSWORD)

    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/\?next="))
    expect(page.get_by_text("Acme Inc requires two-factor authentication.")).to_be_visible()


def test_an_admin_sees_who_has_not_set_it_up(page: Page, world):
    device, _ = enrol(world.admin.user)
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.get_by_label("Code").fill(totp_code(device, steps=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"**/w/{world.workspace.slug}/")

    page.goto(f"/w/{world.workspace.slug}/settings/two-factor/")
    page.get_by_label("Require two-factor authentication for every member").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Two-factor authentication is now required here.")).to_be_visible()
    table = page.locator("#members-without-two-factor")
    expect(table.get_by_text(world.member.user.email)).to_be_visible()
    expect(table.get_by_text(world.admin.user.email)).to_have_count(0)
    capture(page, "two-factor-workspace-settings")


def test_a_passkey_is_registered_and_then_passes_the_second_step(page: Page, world, console):
    device, _ = enrol(world.member.user)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.get_by_label("Code").fill(totp_code(device, steps=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"**/w/{world.workspace.slug}/")

    page.goto("/accounts/two-factor/")
    page.get_by_label("Name for a new passkey").fill("YubiKey")
    page.get_by_role("button", name="Add a passkey").click()

    expect(page.get_by_text("Passkey “YubiKey” added.")).to_be_visible()
    expect(page.locator(".passkeys").get_by_text("YubiKey", exact=True)).to_be_visible()
    capture(page, "two-factor-overview")
    passkey = Passkey.objects.get(user=world.member.user)
    assert passkey.name == "YubiKey"

    page.context.clear_cookies()
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.get_by_role("button", name="Use a passkey instead").click()

    expect(page).to_have_url(re.compile(r"/w/acme-inc/$"))
    assert console.errors == []
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert AuditEvent.objects.filter(
        workspace=world.workspace, verb="two_factor.passkey_added"
    ).exists()
