"""Who wants what, where: defaults per event kind and channel, each person's overrides, and
whether a channel can deliver at all (Slack needs the workspace's bot and the person's id).

`notification_wants(user, workspace, kind, channel)` is the one question other code asks
(the weekly digest asks it too); `preferences_update` is the one way choices change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import transaction

from alignment.audit import audit_by
from alignment.errors import FieldErrors
from alignment.models import ROLE_RANK, Membership, Role, User, Workspace
from integrations.channels import slack_bot_token
from integrations.notifications.models import (
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
)

KINDS: tuple[str, ...] = tuple(NotificationKind.values)
CHANNELS: tuple[str, ...] = tuple(NotificationChannel.values)
IN_APP, EMAIL, SLACK = (
    NotificationChannel.IN_APP,
    NotificationChannel.EMAIL,
    NotificationChannel.SLACK,
)

# What a person gets before choosing anything. Slack "on" takes effect once the workspace has
# a Slack bot and the person has entered their Slack member id; until then it is inert.
DEFAULTS: dict[str, dict[str, bool]] = {
    NotificationKind.ASSIGNED: {IN_APP: True, EMAIL: True, SLACK: True},
    NotificationKind.MENTIONED: {IN_APP: True, EMAIL: True, SLACK: True},
    NotificationKind.STATUS_CHANGED: {IN_APP: True, EMAIL: False, SLACK: False},
    NotificationKind.KR_AT_RISK: {IN_APP: True, EMAIL: True, SLACK: False},
    NotificationKind.CHECKIN_DUE: {IN_APP: True, EMAIL: True, SLACK: False},
    # E-mail default depends on the role: see `default_choice`.
    NotificationKind.WEEKLY_DIGEST: {IN_APP: False, EMAIL: False, SLACK: False},
}
# Leaders get the weekly digest by e-mail unless they turn it off.
DIGEST_BY_DEFAULT_FROM = Role.ADMIN

# Cells of the grid that can never deliver, with the reason the preferences page shows.
NOT_OFFERED: dict[tuple[str, str], str] = {
    (NotificationKind.WEEKLY_DIGEST, IN_APP): "The digest is a message: choose e-mail or Slack.",
}

SLACK_ID = re.compile(r"^[UW][A-Z0-9]{6,19}$")
SLACK_ID_HELP = (
    "A Slack member ID looks like U012AB3CD: in Slack, open your profile, choose ⋮ (More) "
    "and Copy member ID."
)
NO_SLACK_BOT = (
    "Slack is not connected: an admin can add a Slack integration with a bot token under "
    "Integrations."
)
NO_SLACK_ID = "Add your Slack member ID below to get Slack messages."


def default_choice(kind: str, channel: str, role: str | None) -> bool:
    """The default of one cell for a member of this role."""
    if kind == NotificationKind.WEEKLY_DIGEST and channel == EMAIL:
        # Guests rank as members but the digest is company-wide: never theirs by default.
        return (
            role is not None
            and role != Role.GUEST
            and ROLE_RANK[role] >= ROLE_RANK[DIGEST_BY_DEFAULT_FROM]
        )
    return DEFAULTS[kind][channel]


def clean_slack_user_id(raw: str) -> str:
    """Upper-cased and stripped; '' clears it. Raises FieldErrors for anything else."""
    value = (raw or "").strip().upper()
    if value and not SLACK_ID.match(value):
        raise FieldErrors({"slack_user_id": SLACK_ID_HELP})
    return value


@dataclass
class Preferences:
    """One person's effective grid in one workspace (defaults, overrides, availability)."""

    user: User
    workspace: Workspace
    role: str | None  # None: not (or no longer) a member: nothing is wanted
    choices: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    slack_user_id: str = ""

    @cached_property
    def slack_connected(self) -> bool:
        """The workspace has an active Slack integration with a bot token (one query, once)."""
        return bool(slack_bot_token(self.workspace.pk))

    def choice(self, kind: str, channel: str) -> bool:
        """What the person chose for this cell, or its default."""
        value = self.choices.get(kind, {}).get(channel)
        return value if isinstance(value, bool) else default_choice(kind, channel, self.role)

    def unavailable_reason(self, kind: str, channel: str) -> str:
        """Why this cell cannot deliver now, or '' when it can."""
        if (kind, channel) in NOT_OFFERED:
            return NOT_OFFERED[(kind, channel)]
        if channel == SLACK:
            if not self.slack_connected:
                return NO_SLACK_BOT
            if not self.slack_user_id:
                return NO_SLACK_ID
        if channel == EMAIL and not self.user.email:
            return "Your account has no e-mail address."
        return ""

    def wants(self, kind: str, channel: str) -> bool:
        _check_cell(kind, channel)
        if self.role is None or not self.user.is_active:
            return False
        return self.choice(kind, channel) and not self.unavailable_reason(kind, channel)

    def grid(self) -> list[dict[str, Any]]:
        """Rows for the preferences page and API: each kind with its channels' state."""
        return [
            {
                "kind": kind,
                "name": NotificationKind(kind).label,
                "channels": [
                    {
                        "channel": channel,
                        "on": self.choice(kind, channel),
                        "reason": self.unavailable_reason(kind, channel),
                    }
                    for channel in CHANNELS
                ],
            }
            for kind in KINDS
        ]


def _check_cell(kind: str, channel: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}; use one of {', '.join(KINDS)}.")
    if channel not in CHANNELS:
        raise ValueError(f"Unknown channel {channel!r}; use one of {', '.join(CHANNELS)}.")


def preferences_for(user: User, workspace: Workspace, *, role: str | None = None) -> Preferences:
    """Load a person's preferences (two queries; the role one is skipped when it is passed)."""
    if role is None:
        role = (
            Membership.objects.filter(workspace=workspace, user=user)
            .values_list("role", flat=True)
            .first()
        )
    row = (
        NotificationPreference.objects.for_workspace(workspace)
        .filter(user=user)
        .values("choices", "slack_user_id")
        .first()
    )
    choices = row["choices"] if row and isinstance(row["choices"], dict) else {}
    return Preferences(
        user=user,
        workspace=workspace,
        role=role,
        choices=choices,
        slack_user_id=row["slack_user_id"] if row else "",
    )


def notification_wants(user: User, workspace: Workspace, kind: str, channel: str) -> bool:
    """Does this person want `kind` over `channel` here, and can that channel reach them?

    False for people who are not members of the workspace, inactive accounts, and channels
    that cannot deliver (no Slack bot, no Slack id). Unknown kinds or channels raise ValueError.
    """
    _check_cell(kind, channel)
    return preferences_for(user, workspace).wants(kind, channel)


def members_wanting(
    memberships: Iterable[Membership], workspace: Workspace, *, kind: str, channel: str
) -> list[Membership]:
    """The memberships (of `workspace`, with their users loaded) whose person wants `kind`
    over `channel`, in the order given: `notification_wants` for many people in one query.

    Their roles come from the memberships themselves, so only the preference rows are read.
    """
    _check_cell(kind, channel)
    members = [m for m in memberships if m.workspace_id == workspace.pk]
    rows = {
        row["user_id"]: row
        for row in NotificationPreference.objects.for_workspace(workspace)
        .filter(user_id__in=[m.user_id for m in members])
        .values("user_id", "choices", "slack_user_id")
    }
    slack: bool | None = None  # asked once, and only if a Slack cell is in question
    wanting = []
    for membership in members:
        row = rows.get(membership.user_id)
        preferences = Preferences(
            user=membership.user,
            workspace=workspace,
            role=membership.role,
            choices=row["choices"] if row and isinstance(row["choices"], dict) else {},
            slack_user_id=row["slack_user_id"] if row else "",
        )
        if channel == SLACK:
            if slack is None:
                slack = preferences.slack_connected
            preferences.__dict__["slack_connected"] = slack  # the cached_property's slot
        if preferences.wants(kind, channel):
            wanting.append(membership)
    return wanting


def _clean_choices(raw: Any) -> dict[str, dict[str, bool]]:
    if not isinstance(raw, Mapping):
        raise FieldErrors({"choices": "Send an object of kinds, each an object of channels."})
    cleaned: dict[str, dict[str, bool]] = {}
    errors: dict[str, str] = {}
    for kind, channels in raw.items():
        if kind not in KINDS:
            errors[f"choices.{kind}"] = f"Unknown kind; use one of {', '.join(KINDS)}."
            continue
        if not isinstance(channels, Mapping):
            errors[f"choices.{kind}"] = 'Send an object of channels, e.g. {"email": false}.'
            continue
        for channel, value in channels.items():
            if channel not in CHANNELS:
                errors[f"choices.{kind}.{channel}"] = (
                    f"Unknown channel; use one of {', '.join(CHANNELS)}."
                )
            elif not isinstance(value, bool):
                errors[f"choices.{kind}.{channel}"] = "Use true or false."
            else:
                cleaned.setdefault(kind, {})[channel] = value
    if errors:
        raise FieldErrors(errors)
    return cleaned


@transaction.atomic
def preferences_update(
    *,
    actor: Membership,
    choices: Mapping[str, Mapping[str, bool]] | None = None,
    slack_user_id: str | None = None,
) -> Preferences:
    """Change the actor's own grid (cells not named keep their value) and Slack member id.

    Only differences from the defaults are stored, so improving a default reaches everyone
    who never chose otherwise.
    """
    cleaned = _clean_choices(choices if choices is not None else {})
    slack_id = clean_slack_user_id(slack_user_id) if slack_user_id is not None else None
    row, _ = NotificationPreference.objects.select_for_update().get_or_create(
        workspace_id=actor.workspace_id, user_id=actor.user_id
    )
    before = {"choices": dict(row.choices), "slack_user_id": row.slack_user_id}
    merged: dict[str, dict[str, bool]] = {
        kind: dict(channels) for kind, channels in (row.choices or {}).items()
    }
    for kind, channels in cleaned.items():
        for channel, value in channels.items():
            merged.setdefault(kind, {})[channel] = value
    row.choices = {
        kind: kept
        for kind, channels in merged.items()
        if kind in KINDS
        and (
            kept := {
                channel: value
                for channel, value in channels.items()
                if channel in CHANNELS and value != default_choice(kind, channel, actor.role)
            }
        )
    }
    if slack_id is not None:
        row.slack_user_id = slack_id
    row.save()
    after = {"choices": row.choices, "slack_user_id": row.slack_user_id}
    if after != before:
        audit_by(
            actor, verb="notifications.preferences_updated", obj=row, before=before, after=after
        )
    return Preferences(
        user=actor.user,
        workspace=actor.workspace,
        role=actor.role,
        choices=row.choices,
        slack_user_id=row.slack_user_id,
    )
