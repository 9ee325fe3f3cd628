"""Slack: only the connection's own Slack team acts and gets linked; admins see and remove
links; and Slack's 3-second budget is kept by doing nothing outbound in its request.

Payloads are Slack's documented shapes (fixtures/slack/, see fixtures/README.md); the Web API
is the local server of slack_server.py, the command's response_url a local HTTP peer."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.urls import reverse

from alignment.models import AuditEvent
from integrations import slack_blocks
from integrations.models import (
    DeliveryStatus,
    InboundDelivery,
    OutboxMessage,
    OutboxStatus,
    SlackLinkMethod,
    SlackUserLink,
)
from integrations.outbox import deliver
from integrations.slack_users import (
    BadLink,
    LinkRequest,
    SlackUser,
    link_url,
    read_link,
    slack_user_link_confirm,
)
from tests.factories.work import TaskFactory
from tests.integrations.slack_server import post_interaction, slack_fixture
from tests.integrations.test_inbound import _post_slack
from tests.integrations.test_slack_commands import COMMAND_USER, command

COMMAND_TEAM = "T0001"  # the team of Slack's documented slash-command example
SLACK_USER = "W111"  # the acting user of the bolt-python payloads (team T111)


def set_team(integration, team: str) -> None:
    integration.config = {**integration.config, "slack_team_id": team}
    integration.save(update_fields=["config"])


@pytest.fixture
def response_url(http_peer, settings):
    peer = http_peer().peer
    settings.SLACK_RESPONSE_URL_PREFIXES = [peer.url + "/"]
    return peer


def post_command(fixtures_dir, slack, text: str, url: str):
    return _post_slack(slack, command(fixtures_dir, text, url), str(int(time.time())))


# --- The connection's own team ------------------------------------------------------------


def test_a_command_from_another_slack_team_is_refused_and_nobody_is_linked(
    world, slack, slack_web_api, response_url, fixtures_dir, django_capture_on_commit_callbacks
):
    set_team(slack, "T111")
    # Same e-mail as a member, verified by Slack, but in another Slack team.
    slack_web_api.add_user(COMMAND_USER, world.member.user.email, team_id=COMMAND_TEAM)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_command(fixtures_dir, slack, "mine", response_url.url + "/r")
    assert response.status_code == 200
    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.IGNORED
    assert (
        delivery.error == "The request comes from Slack team T0001, not this connection's (T111)."
    )
    assert slack_web_api.calls == []  # not even users.info
    assert not SlackUserLink.objects.exists()
    assert response_url.received == []


def test_a_button_from_another_team_changes_nothing(
    world, slack, slack_web_api, django_capture_on_commit_callbacks
):
    set_team(slack, "T111")
    slack_web_api.add_user(SLACK_USER, world.member.user.email, team_id="T999")
    task = TaskFactory(team=world.team, title="Fix login")
    payload = slack_fixture("block_actions__message_docs_example.json")
    payload["user"] = {"id": SLACK_USER, "username": "member", "team_id": "T999"}
    payload["team"] = {"id": "T999", "domain": "elsewhere"}
    payload["actions"] = [
        {**payload["actions"][0], "action_id": slack_blocks.ASSIGN_TO_ME, "value": str(task.pk)}
    ]
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, payload)
    task.refresh_from_db()
    assert task.assignee is None
    assert InboundDelivery.objects.get().status == DeliveryStatus.IGNORED
    assert not SlackUserLink.objects.exists()


def test_an_email_match_in_another_slack_team_is_not_linked(
    world, slack, slack_web_api, response_url, fixtures_dir, django_capture_on_commit_callbacks
):
    # The request is the connection's team, but users.info says the account is another
    # team's (an Enterprise Grid or shared-channel user with the member's address).
    set_team(slack, COMMAND_TEAM)
    slack_web_api.add_user(COMMAND_USER, world.member.user.email, team_id="T999")
    with django_capture_on_commit_callbacks(execute=True):
        post_command(fixtures_dir, slack, "mine", response_url.url + "/r")
    assert not SlackUserLink.objects.exists()
    [answer] = response_url.received
    assert json.loads(answer.body)["text"].startswith("I don't know who you are in Alignment")


def test_the_connections_team_is_asked_of_slack_once_and_kept(
    world, slack, slack_web_api, response_url, fixtures_dir, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(COMMAND_USER, world.member.user.email, team_id=COMMAND_TEAM)
    with django_capture_on_commit_callbacks(execute=True):
        post_command(fixtures_dir, slack, "mine", response_url.url + "/1")
    slack.refresh_from_db()
    assert slack.config["slack_team_id"] == COMMAND_TEAM
    [link] = SlackUserLink.objects.all()
    assert (link.slack_team_id, link.user, link.method) == (
        COMMAND_TEAM,
        world.member.user,
        SlackLinkMethod.EMAIL,
    )
    # Another command (its own trigger_id): the team and the link are known, no call to Slack.
    body = command(fixtures_dir, "mine", response_url.url + "/2")
    with django_capture_on_commit_callbacks(execute=True):
        _post_slack(slack, body.replace("trigger_id=", "trigger_id=2"), str(int(time.time())))
    assert InboundDelivery.objects.count() == 2
    assert [c.method for c in slack_web_api.calls] == ["auth.test", "users.info"]


def test_a_confirmation_link_for_another_teams_user_is_refused(world, slack, slack_web_api):
    set_team(slack, "T111")
    url = link_url(slack, SlackUser(team_id="T999", user_id="U999", name="stranger"))
    token = url.split("?t=", 1)[1]
    with pytest.raises(BadLink):
        read_link(token, world.workspace)
    with pytest.raises(BadLink):  # the service refuses too, whoever builds the request
        slack_user_link_confirm(
            actor=world.member,
            request=LinkRequest(integration=slack, slack=SlackUser("T999", "U999")),
        )
    assert not SlackUserLink.objects.exists()


# --- The Slack users page ---------------------------------------------------------------


def links_url(world, slack) -> str:
    return reverse(
        "integrations:slack_users",
        kwargs={"slug": world.workspace.slug, "integration_id": slack.pk},
    )


def make_link(world, slack, membership, user_id: str = "U1", team: str = "T111"):
    return SlackUserLink.objects.create(
        workspace=world.workspace,
        integration=slack,
        slack_team_id=team,
        slack_user_id=user_id,
        user=membership.user,
        method=SlackLinkMethod.CONFIRMED,
    )


def test_admins_see_the_links_and_remove_one(world, slack, admin_client):
    set_team(slack, "T111")
    link = make_link(world, slack, world.member)
    page = admin_client.get(links_url(world, slack))
    html = page.content.decode()
    assert page.status_code == 200
    assert world.member.user.email in html
    assert "<code>U1</code>" in html
    assert "This connection's team is <code>T111</code>." in html
    remove = reverse(
        "integrations:slack_user_unlink",
        kwargs={"slug": world.workspace.slug, "integration_id": slack.pk, "link_id": link.pk},
    )
    assert remove in html
    response = admin_client.post(remove)
    assert response.status_code == 303
    assert not SlackUserLink.objects.filter(pk=link.pk).exists()
    event = AuditEvent.objects.get(verb="integration.slack_user_unlinked")
    assert event.before["slack_user_id"] == "U1"


@pytest.mark.parametrize("client_name", ["member_client", "viewer_client"])
def test_non_admins_get_neither_the_page_nor_the_remove(world, slack, client_name, request):
    client = request.getfixturevalue(client_name)
    link = make_link(world, slack, world.member)
    assert client.get(links_url(world, slack)).status_code == 403
    remove = reverse(
        "integrations:slack_user_unlink",
        kwargs={"slug": world.workspace.slug, "integration_id": slack.pk, "link_id": link.pk},
    )
    assert client.post(remove).status_code == 403
    assert SlackUserLink.objects.filter(pk=link.pk).exists()


def test_setting_the_team_drops_other_teams_links_and_refuses_a_bad_id(world, slack, admin_client):
    keep = make_link(world, slack, world.member, "U1", "T111")
    make_link(world, slack, world.admin, "U2", "T999")
    url = reverse(
        "integrations:slack_team", kwargs={"slug": world.workspace.slug, "integration_id": slack.pk}
    )
    bad = admin_client.post(url, {"team_id": "not a team"})
    assert bad.status_code == 422
    assert "A Slack team ID looks like T0123ABCD." in bad.content.decode()
    assert admin_client.post(url, {"team_id": "t111"}).status_code == 303
    slack.refresh_from_db()
    assert slack.config["slack_team_id"] == "T111"
    assert list(SlackUserLink.objects.values_list("pk", flat=True)) == [keep.pk]


def test_the_page_is_only_a_slack_connections(world, github, admin_client):
    response = admin_client.get(
        reverse(
            "integrations:slack_users",
            kwargs={"slug": world.workspace.slug, "integration_id": github.pk},
        )
    )
    assert response.status_code == 404


# --- Slack's 3-second budget --------------------------------------------------------------


@pytest.fixture
def outbound_log(monkeypatch) -> list[str]:
    """Every outbound HTTP request made through httpx, by URL (Slack's Web API and the
    response_url both go through httpx)."""
    import httpx

    made: list[str] = []
    send = httpx.Client.send

    def logged(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        made.append(str(request.url))
        return send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", logged)
    return made


def test_a_command_is_answered_before_anything_outbound_and_its_reply_waits_in_the_outbox(
    world,
    slack,
    slack_web_api,
    response_url,
    fixtures_dir,
    outbound_log,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    set_team(slack, COMMAND_TEAM)
    make_link(world, slack, world.member, COMMAND_USER, COMMAND_TEAM)
    TaskFactory(team=world.team, title="Mine", assignee=world.member.user)
    # Slack's request: on-commit work (the queued processing) is captured, not run, as a
    # worker would run it after the response.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_command(fixtures_dir, slack, "mine", response_url.url + "/r")
    assert (response.status_code, response.content) == (200, b"")
    assert outbound_log == []  # nothing outbound before Slack has its answer
    assert InboundDelivery.objects.get().status == DeliveryStatus.RECEIVED
    assert queued  # the processing is queued, not done

    # The worker: processing writes the reply into the outbox and sends nothing itself.
    monkeypatch.setattr("integrations.outbox.schedule_delivery", lambda pk: None)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED
    assert outbound_log == []
    [reply] = OutboxMessage.objects.all()
    assert reply.destination == response_url.url + "/r"
    assert reply.status == OutboxStatus.PENDING
    assert "Mine" in reply.payload["text"]

    # The outbox delivers it (retried with backoff if Slack is slow).
    deliver(reply.pk)
    assert outbound_log == [response_url.url + "/r"]
    assert json.loads(response_url.received[0].body)["text"] == reply.payload["text"]


def test_a_button_is_answered_before_anything_outbound(
    world, slack, slack_web_api, outbound_log, django_capture_on_commit_callbacks
):
    set_team(slack, "T111")
    make_link(world, slack, world.member, SLACK_USER, "T111")
    task = TaskFactory(team=world.team, title="Fix login")
    payload = slack_fixture("block_actions__message_docs_example.json")
    payload["user"] = {"id": SLACK_USER, "username": "member", "team_id": "T111"}
    payload["team"] = {"id": "T111", "domain": "example"}
    payload["actions"] = [
        {**payload["actions"][0], "action_id": slack_blocks.ASSIGN_TO_ME, "value": str(task.pk)}
    ]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_interaction(slack, payload)
    assert (response.status_code, response.content) == (200, b"")
    assert outbound_log == []
    assert queued
    assert InboundDelivery.objects.get().status == DeliveryStatus.RECEIVED


def test_modals_open_in_the_request_with_one_bounded_call(
    world, slack, slack_web_api, outbound_log, settings, django_capture_on_commit_callbacks
):
    """A trigger_id lives 3 s, so views.open is the one call made in Slack's request (after
    the handler's commit), with a timeout that fits the budget; a known team and link cost
    no call at all."""
    from tests.integrations.test_slack_interactivity import message_shortcut

    set_team(slack, "T111")
    make_link(world, slack, world.member, SLACK_USER, "T111")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, message_shortcut())
    assert response.status_code == 200
    assert [c.method for c in slack_web_api.calls] == ["views.open"]
    assert len(outbound_log) == 1
    assert settings.SLACK_INTERACTIVE_TIMEOUT_SECONDS * len(outbound_log) < 3
