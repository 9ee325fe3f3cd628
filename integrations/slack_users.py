"""Who a Slack user is in Alignment.

A Slack user acts as the Alignment user a `SlackUserLink` names, with that person's role in
the workspace at the moment of the action. A link is made either

- by e-mail: users.info gives the Slack account's e-mail; when Slack says it is confirmed,
  the account belongs to the connection's own Slack team, and it is the log-in e-mail of an
  active member of the integration's workspace, the link is recorded on first use; or
- by confirmation: a Slack user we cannot match gets a signed, short-lived link (to them only,
  ephemerally); opening it while logged in to Alignment shows who they are in Slack and a
  button that links the two.

The connection's Slack team is the team its bot token belongs to (`auth.test`, asked once and
kept in `config["slack_team_id"]`, or typed in on the settings page). Every request from
Slack is checked against it before any handler runs (`same_team`, an `integrations.registry`
guard): a Slack app may be installed in more than one team with the same signing secret, and a
person of another team must neither act here nor be linked, whatever their e-mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from alignment.audit import audit_by
from alignment.errors import FieldErrors, GuestNotAllowed, RoleRequired
from alignment.models import Membership, Role, Workspace
from alignment.tenancy import require_role
from integrations import slack_api
from integrations.models import (
    InboundDelivery,
    Integration,
    Provider,
    SlackLinkMethod,
    SlackUserLink,
)
from integrations.registry import DeliveryIgnored, guards

LINK_SALT = "integrations.slack-link"
LINK_MAX_AGE_SECONDS = 60 * 60
TEAM_KEY = "slack_team_id"  # in Integration.config


@dataclass(frozen=True)
class SlackUser:
    """A Slack user as a request names them: their Slack team and member id."""

    team_id: str
    user_id: str
    name: str = ""

    @classmethod
    def of(cls, payload: Any) -> SlackUser:
        """The acting user of an interaction, an event or a slash command."""
        data = payload if isinstance(payload, dict) else {}
        user = data.get("user")
        if isinstance(user, dict):  # interactions: user {id, team_id}, team {id}
            team = data["team"] if isinstance(data.get("team"), dict) else {}
            return cls(
                team_id=str(user.get("team_id") or team.get("id") or ""),
                user_id=str(user.get("id") or ""),
                name=str(user.get("name") or user.get("username") or ""),
            )
        event = data.get("event")
        if isinstance(event, dict):  # Events API: event.user, team_id on the envelope
            return cls(team_id=str(data.get("team_id") or ""), user_id=str(event.get("user") or ""))
        return cls(  # slash commands: a form
            team_id=str(data.get("team_id") or ""),
            user_id=str(data.get("user_id") or ""),
            name=str(data.get("user_name") or ""),
        )


def payload_team(payload: Any) -> str:
    """The Slack team a request comes from: `team.id` (interactions), `team_id` (commands,
    the Events API envelope), else the acting user's team."""
    data = payload if isinstance(payload, dict) else {}
    team = data.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    if data.get("team_id"):
        return str(data["team_id"])
    user = data.get("user")
    return str(user.get("team_id") or "") if isinstance(user, dict) else ""


def connection_team(integration: Integration) -> str:
    """The Slack team of the connection: as configured, else asked once of Slack (auth.test
    answers for the bot token's own team) and kept. "" while it cannot be known."""
    team = str((integration.config or {}).get(TEAM_KEY) or "")
    if team or not integration.bot_token:
        return team
    answer = slack_api.call(
        "auth.test", token=integration.bot_token, body={}, timeout=slack_api.interactive_timeout()
    )
    team = str(answer.data.get("team_id") or "") if answer.ok else ""
    if team:
        with transaction.atomic():
            row = Integration.objects.select_for_update().only("config").get(pk=integration.pk)
            config = {**(row.config or {}), TEAM_KEY: team}  # other keys written meanwhile kept
            Integration.objects.filter(pk=integration.pk).update(config=config)
        integration.config = config
    return team


@guards(Provider.SLACK)
def same_team(delivery: InboundDelivery, payload: Any) -> None:
    """Refuse (as "ignored", with the reason on the delivery log) a request from another
    Slack team than the connection's: nothing is done, nobody is linked."""
    team = connection_team(delivery.integration)
    sender = payload_team(payload)
    if team and sender and sender != team:
        raise DeliveryIgnored(
            f"The request comes from Slack team {sender}, not this connection's ({team})."
        )
    user = SlackUser.of(payload)
    if team and user.team_id and user.team_id != team and sender != team:
        raise DeliveryIgnored(f"The Slack user's team {user.team_id} is not {team}.")


def _membership(workspace_id: int, **user_filter: Any) -> Membership | None:
    return (
        Membership.objects.for_workspace(workspace_id)
        .filter(user__is_active=True, **user_filter)
        .select_related("user", "workspace")
        .first()
    )


def _verified_email(integration: Integration, slack: SlackUser) -> str:
    """The Slack account's e-mail when Slack vouches for it; "" otherwise."""
    answer = slack_api.call(
        "users.info",
        token=integration.bot_token,
        body={"user": slack.user_id},
        timeout=slack_api.interactive_timeout(),
    )
    user = answer.data.get("user") if answer.ok else None
    if not isinstance(user, dict) or user.get("deleted") or user.get("is_bot"):
        return ""
    if str(user.get("team_id") or "") != connection_team(integration):
        return ""  # the same address in another Slack team is another person
    if user.get("is_email_confirmed") is False:
        return ""  # an address nobody proved they own names nobody
    profile = user["profile"] if isinstance(user.get("profile"), dict) else {}
    return str(profile.get("email") or "").strip()


def member_for(integration: Integration, slack: SlackUser) -> Membership | None:
    """The membership this Slack user acts as, linking by verified e-mail on first use."""
    if not slack.user_id or not slack.team_id:
        return None
    team = connection_team(integration)
    if team and slack.team_id != team:
        return None  # another Slack team's user: never linked, never acting here
    link = (
        SlackUserLink.objects.for_workspace(integration.workspace_id)
        .filter(integration=integration, slack_team_id=slack.team_id, slack_user_id=slack.user_id)
        .first()
    )
    if link is not None:
        return _membership(integration.workspace_id, user_id=link.user_id)
    email = _verified_email(integration, slack)
    membership = _membership(integration.workspace_id, user__email__iexact=email) if email else None
    if membership is None:
        return None
    _record_link(integration, slack, membership, SlackLinkMethod.EMAIL)
    return membership


def _record_link(
    integration: Integration, slack: SlackUser, membership: Membership, method: str
) -> SlackUserLink:
    try:
        with transaction.atomic():  # a savepoint: two first clicks at once make one link
            link, _ = SlackUserLink.objects.update_or_create(
                integration=integration,
                slack_team_id=slack.team_id,
                slack_user_id=slack.user_id,
                defaults={
                    "workspace_id": integration.workspace_id,
                    "user": membership.user,
                    "method": method,
                },
            )
    except IntegrityError:
        link = SlackUserLink.objects.get(
            integration=integration, slack_team_id=slack.team_id, slack_user_id=slack.user_id
        )
    _remember_dm_address(membership, slack)
    return link


def _remember_dm_address(membership: Membership, slack: SlackUser) -> None:
    """A person who has not entered a Slack member id for their notifications gets this one."""
    from integrations.notifications.models import NotificationPreference

    preference, _ = NotificationPreference.objects.get_or_create(
        workspace_id=membership.workspace_id, user_id=membership.user_id
    )
    if not preference.slack_user_id:
        NotificationPreference.objects.filter(pk=preference.pk).update(slack_user_id=slack.user_id)


# --- What a linked member may do from Slack ------------------------------------------------


def refusal(membership: Membership, doing: str, *, role: str = Role.MEMBER, guests: bool) -> str:
    """Why `membership` may not do `doing` from Slack ("" when they may): the pages' rule
    (`require_role`). `guests=True` where what follows reads and writes only through
    `visible_to(membership)`, i.e. the guest's own teams, as on the routes that admit guests."""
    try:
        require_role(membership, role, guests=guests)
    except GuestNotAllowed:
        return (
            f"You are a guest in {membership.workspace.name}: guests work only on their own "
            f"teams' tasks, so you cannot {doing} here."
        )
    except RoleRequired:
        if membership.role == Role.VIEWER:
            return (
                f"You are a viewer in {membership.workspace.name}: viewers can read but not "
                f"{doing}. Ask an admin for the member role."
            )
        return f"You cannot {doing} in {membership.workspace.name}: it needs the {role} role."
    return ""


# --- Admins: the links and the team --------------------------------------------------------


TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,19}$")  # a team (T…) or an Enterprise Grid org (E…)


def slack_user_link_remove(*, actor: Membership, link: SlackUserLink) -> None:
    """An admin unlinks a Slack user: their next request from Slack links again (by e-mail,
    or by a confirmation link), or acts as nobody."""
    require_role(actor, Role.ADMIN)
    if link.workspace_id != actor.workspace_id:
        raise BadLink  # the view scopes the lookup; this is the safety net
    with transaction.atomic():
        audit_by(
            actor,
            verb="integration.slack_user_unlinked",
            obj=link.integration,
            before={
                "slack_team_id": link.slack_team_id,
                "slack_user_id": link.slack_user_id,
                "user": link.user_id,
                "method": link.method,
            },
        )
        link.delete()


def slack_team_set(*, actor: Membership, integration: Integration, team_id: str) -> str:
    """An admin states the connection's Slack team (or clears it: learned again from
    auth.test). Links made for users of another team are removed with the change."""
    require_role(actor, Role.ADMIN)
    if integration.workspace_id != actor.workspace_id or integration.provider != Provider.SLACK:
        raise BadLink
    team = team_id.strip().upper()
    if team and not TEAM_ID.match(team):
        raise FieldErrors({"team_id": "A Slack team ID looks like T0123ABCD."})
    with transaction.atomic():
        row = Integration.objects.select_for_update().get(pk=integration.pk)
        config = {k: v for k, v in (row.config or {}).items() if k != TEAM_KEY}
        if team:
            config[TEAM_KEY] = team
        Integration.objects.filter(pk=row.pk).update(config=config)
        integration.config = config
        if team:
            SlackUserLink.objects.for_workspace(actor.workspace_id).filter(
                integration=integration
            ).exclude(slack_team_id=team).delete()
        audit_by(
            actor,
            verb="integration.slack_team_set",
            obj=integration,
            before={TEAM_KEY: (row.config or {}).get(TEAM_KEY, "")},
            after={TEAM_KEY: team},
        )
    return team


# --- The confirmation link ----------------------------------------------------------------


class BadLink(Exception):
    """The link is missing, forged, expired or for another workspace."""


@dataclass(frozen=True)
class LinkRequest:
    integration: Integration
    slack: SlackUser


def link_url(integration: Integration, slack: SlackUser) -> str:
    """A signed link, valid for an hour, that lets its opener link this Slack user."""
    token = signing.dumps(
        {"i": integration.pk, "t": slack.team_id, "u": slack.user_id, "n": slack.name[:80]},
        salt=LINK_SALT,
        compress=True,
    )
    workspace = Workspace.objects.only("slug").get(pk=integration.workspace_id)
    path = reverse("integrations:slack_link", kwargs={"slug": workspace.slug})
    return f"{settings.SITE_URL}{path}?t={token}"


def read_link(token: str, workspace: Workspace) -> LinkRequest:
    """The link request a token carries, if it is genuine, fresh and for this workspace."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE_SECONDS)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise BadLink from exc
    integration = (
        Integration.objects.for_workspace(workspace)
        .filter(pk=data.get("i"), provider=Provider.SLACK, active=True)
        .first()
    )
    if integration is None or not data.get("t") or not data.get("u"):
        raise BadLink
    team = connection_team(integration)
    if team and str(data["t"]) != team:
        raise BadLink  # made for a user of another Slack team
    slack = SlackUser(team_id=str(data["t"]), user_id=str(data["u"]), name=str(data.get("n", "")))
    return LinkRequest(integration=integration, slack=slack)


@transaction.atomic
def slack_user_link_confirm(*, actor: Membership, request: LinkRequest) -> SlackUserLink:
    """Link the Slack user of a genuine link request to the person confirming it."""
    if request.integration.workspace_id != actor.workspace_id:
        raise BadLink  # read_link scopes it already; this is the safety net
    team = connection_team(request.integration)
    if team and request.slack.team_id != team:
        raise BadLink  # a user of another Slack team is never linked here
    return _record_link(request.integration, request.slack, actor, SlackLinkMethod.CONFIRMED)


def not_linked_text(integration: Integration, slack: SlackUser) -> str:
    """What an unknown Slack user is told (mrkdwn), with their personal link."""
    workspace = Workspace.objects.only("name").get(pk=integration.workspace_id)
    return (
        f"I don't know who you are in Alignment ({workspace.name}) yet: your Slack e-mail is "
        f"not the verified log-in of a member. <{link_url(integration, slack)}|Link your Slack "
        "account> (the link works for an hour, and only for you), then try again."
    )
