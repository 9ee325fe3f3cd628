"""Linking a Slack user to an Alignment user by confirming a signed link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.core import signing

from integrations import slack_users
from integrations.models import SlackUserLink
from integrations.slack_users import LINK_SALT, SlackUser, link_url, member_for
from tests.conftest import client_for
from tests.integrations.conftest import SLACK_SECRET, integration_for
from tests.integrations.slack_server import TEAM_ID

SLACK = SlackUser(team_id=TEAM_ID, user_id="W0UNKNOWN", name="priya")


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def test_confirming_the_link_makes_the_slack_user_act_as_me(world, slack, slack_web_api):
    url = link_url(slack, SLACK)
    client = client_for(world.member.user)
    page = client.get(urlsplit(url).path + "?" + urlsplit(url).query)
    assert page.status_code == 200
    assert "asked to act as you in Acme Inc" in page.content.decode()
    assert SlackUserLink.objects.count() == 0  # reading the page links nothing

    done = client.post(urlsplit(url).path, {"t": token_of(url)})

    assert done.status_code == 200
    link = SlackUserLink.objects.get()
    assert (link.user, link.slack_user_id, link.method) == (
        world.member.user,
        "W0UNKNOWN",
        "confirmed",
    )
    assert member_for(slack, SLACK) == world.member
    assert slack_web_api.of("users.info") == []  # a link is used before any e-mail look-up


def test_a_forged_or_expired_link_links_nobody(world, slack, monkeypatch):
    path = f"/w/{world.workspace.slug}/integrations/slack/link/"
    client = client_for(world.member.user)
    forged = signing.dumps({"i": slack.pk, "t": TEAM_ID, "u": "W0EVIL"}, salt="another-salt")
    assert client.post(path, {"t": forged}).status_code == 400
    genuine = signing.dumps({"i": slack.pk, "t": TEAM_ID, "u": "W0LATE"}, salt=LINK_SALT)
    monkeypatch.setattr(slack_users, "LINK_MAX_AGE_SECONDS", -1)  # as if an hour had passed
    assert client.post(path, {"t": genuine}).status_code == 400
    assert client.get(path).status_code == 400  # no token at all
    assert SlackUserLink.objects.count() == 0


def test_a_link_for_another_workspaces_integration_is_refused(world, world_b, slack):
    theirs = integration_for(world_b, "slack", SLACK_SECRET)
    url = link_url(theirs, SLACK)
    # Opened under my workspace's address, with my session: their integration is not found.
    mine = f"/w/{world.workspace.slug}/integrations/slack/link/"
    response = client_for(world.member.user).post(mine, {"t": token_of(url)})
    assert response.status_code == 400
    assert SlackUserLink.objects.count() == 0


def test_e_mail_link_fills_an_empty_slack_member_id_for_notifications(world, slack, slack_web_api):
    from integrations.notifications.models import NotificationPreference

    slack_web_api.add_user("W0PRIYA", world.member.user.email)
    assert member_for(slack, SlackUser(team_id=TEAM_ID, user_id="W0PRIYA")) == world.member
    preference = NotificationPreference.objects.get(user=world.member.user)
    assert preference.slack_user_id == "W0PRIYA"


def test_a_slack_user_linked_to_someone_who_left_acts_as_nobody(world, slack, slack_web_api):
    SlackUserLink.objects.create(
        workspace=world.workspace,
        integration=slack,
        slack_team_id=TEAM_ID,
        slack_user_id="W0GONE",
        user=world.member.user,
        method="email",
    )
    world.member.delete()
    assert member_for(slack, SlackUser(team_id=TEAM_ID, user_id="W0GONE")) is None
