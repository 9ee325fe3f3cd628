"""Login brute-force protection: 5 failures lock the (e-mail, address) pair for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment import lockout
from alignment.models import LoginFailure
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def attempt(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=ip)


def fail(client, email, times, ip="10.0.0.1"):
    return [attempt(client, email, "wrong-password", ip).status_code for _ in range(times)]


def test_wrong_password_says_so_with_400(client, world):
    response = attempt(client, world.member.user.email, "wrong-password")

    assert response.status_code == 400
    assert "That e-mail and password do not match an account." in response.content.decode()


def test_the_fifth_failure_locks_with_429_and_a_clear_message(client, world):
    statuses = fail(client, world.member.user.email, 5)

    assert statuses == [400, 400, 400, 400, 429]
    response = attempt(client, world.member.user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-ins from this address. Try again in 15 minutes" in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_count(client, world):
    email = world.member.user.email
    fail(client, email, 4)
    assert attempt(client, email, PASSWORD).status_code == 302
    client.logout()

    assert fail(client, email, 4) == [400, 400, 400, 400]
    assert attempt(client, email, PASSWORD).status_code == 302


def test_another_address_is_not_locked(client, world):
    email = world.member.user.email
    fail(client, email, 5, ip="10.0.0.1")

    response = attempt(client, email, PASSWORD, ip="10.0.0.2")

    assert response.status_code == 302


def test_the_lock_ends_after_the_lockout_period(client, world, settings):
    email = world.member.user.email
    fail(client, email, 5)
    later = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS + 1)
    LoginFailure.objects.update(locked_until=later, first_failed_at=later)

    assert attempt(client, email, PASSWORD).status_code == 302


def test_e_mail_case_does_not_dodge_the_count(client, world):
    email = world.member.user.email
    fail(client, email.upper(), 4)

    assert fail(client, email, 1) == [429]


def test_an_address_trying_many_accounts_is_locked_too(client, world):
    for n in range(4):
        fail(client, f"guess{n}@example.com", 4)
    # 16 failures across accounts; the address limit is 4 x 5 = 20.
    assert fail(client, "guess9@example.com", 4) == [400, 400, 400, 429]
    assert lockout.locked_until(world.member.user.email, "10.0.0.1") is not None


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # the client's own claim is ignored
        ("6.6.6.6, 203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),
        ("not-an-ip", 1, "198.51.100.1"),
        ("", 1, "198.51.100.1"),
        ("203.0.113.9", 2, "198.51.100.1"),  # fewer hops than proxies: not via them
    ],
)
def test_client_ip_takes_the_entry_our_proxy_appended(settings, forwarded, proxies, expected):
    from alignment.lockout import client_ip

    settings.USE_X_FORWARDED_FOR = True
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_ip(meta) == expected


def test_client_ip_ignores_forwarded_for_unless_told_to(settings):
    from alignment.lockout import client_ip

    settings.USE_X_FORWARDED_FOR = False
    assert client_ip({"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}) == (
        "198.51.100.1"
    )
