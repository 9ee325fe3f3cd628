"""Webhook URLs must reach the public internet only (SSRF guard), at save and at send time."""

import socket

import pytest

from alignment.errors import FieldErrors
from integrations import services, urlguard
from integrations.channels import send_webhook
from integrations.models import WebhookSubscription
from integrations.urlguard import BlockedDestination, check_public_url, pin_public_url
from integrations.webhooks import webhook_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def guarded(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOKS_ALLOW_HTTP = True


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:8443/hook",
        "http://localhost:6379/",
        "https://192.168.0.10/hook",
    ],
)
def test_private_and_loopback_destinations_are_refused(guarded, url):
    with pytest.raises(BlockedDestination):
        check_public_url(url)


def test_a_public_address_is_allowed(guarded):
    check_public_url("https://93.184.215.14/hook")  # a global address, no DNS needed


def test_a_host_without_a_name_is_refused(guarded):
    with pytest.raises(BlockedDestination, match="no host"):
        check_public_url("https:///hook")


def test_subscribing_a_private_url_is_a_field_error_and_saves_nothing(guarded, world):
    with pytest.raises(FieldErrors) as refused:
        services.subscription_create(
            actor=world.admin, url="https://169.254.169.254/x", event_types=["task.created"]
        )
    assert "private or reserved address" in refused.value.fields["url"][0]
    assert not WebhookSubscription.objects.exists()


def test_sending_to_a_url_that_became_private_is_refused_permanently(
    settings, world, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    subscription, _secret = services.subscription_create(
        actor=world.admin, url="https://127.0.0.1:9/hook", event_types=["task.created"]
    )
    [message] = webhook_publish(
        workspace=world.workspace, event_type="task.created", data={"key": "ENG-1"}
    )
    assert message.subscription == subscription
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

    result = send_webhook(message)

    assert (result.ok, result.permanent) == (False, True)
    assert "127.0.0.1" in result.error


def test_pinned_target_connects_to_the_checked_address_with_the_original_name(guarded, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))
        ],
    )
    target = pin_public_url("https://user:pw@hooks.example.com:8443/in?x=1")
    assert target.url == "https://93.184.215.14:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"
    assert target.sni_hostname == "hooks.example.com"


def test_pinned_ipv6_target_is_bracketed(guarded, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:4700::6810:84e5", port, 0, 0))
        ],
    )
    target = pin_public_url("http://hooks.example.com/in")
    assert target.url == "http://[2606:4700::6810:84e5]/in"
    assert (target.host_header, target.sni_hostname) == ("hooks.example.com", None)


def test_a_rebinding_dns_answer_after_the_check_is_never_used(
    guarded, monkeypatch, world, http_peer, django_capture_on_commit_callbacks
):
    """The name resolves once (to an address the guard allows); the request goes there,
    with the name as Host, even though the name would now resolve somewhere else."""
    receiver = http_peer().peer
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.9.9.9", "10.9.9.9"])
    lookups: list[str] = []

    def rebinding_dns(host, port, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    # Let the guard accept exactly the first answer, as if it were a public address.
    monkeypatch.setattr(urlguard, "_is_allowed", lambda address: str(address) == "127.0.0.1")
    url = f"http://hooks.rebind.test:{receiver.port}/hook"
    subscription, _secret = services.subscription_create(
        actor=world.admin, url=url, event_types=["task.created"]
    )
    lookups.clear()
    answers = iter(["127.0.0.1", "10.9.9.9", "10.9.9.9"])
    [message] = webhook_publish(workspace=world.workspace, event_type="task.created", data={})

    result = send_webhook(message)

    assert result.ok, result.error
    assert lookups == ["hooks.rebind.test"]  # one answer, checked and used
    [request] = receiver.received
    assert request.headers["Host"] == f"hooks.rebind.test:{receiver.port}"
    assert subscription.pk == message.subscription_id
