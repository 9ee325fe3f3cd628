"""Webhook URLs must reach the public internet only (SSRF guard), at save and at send time."""

import pytest

from alignment.errors import FieldErrors
from integrations import services
from integrations.channels import send_webhook
from integrations.models import WebhookSubscription
from integrations.urlguard import BlockedDestination, check_public_url
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
