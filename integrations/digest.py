"""The weekly leader digest: what moved, what is at risk or drifting and why, the teams.

build_digest()      reads materialized rows only (rollups, findings, team metrics, snapshots):
                    first the period's objective and key result rows through
                    `readmodel.selectors.rollups_for` (brought up to date for the digest's
                    day, as every page reads them), then `dashboards.selectors.leader_dashboard`
                    plus a few queries of its own, so its query count is the same for ten
                    objectives or two thousand.
digest_recipients() active owners and admins, plus owners of this period's company objectives
                    (digest_recipients.py, with the preferences that may turn it off).
send_digest()       one e-mail per recipient and one Slack message per workspace through the
                    outbox, each with a dedupe key per ISO week (and per recipient for e-mail):
                    a rerun of the beat job in the same week writes nothing new.
send_due_digest()   the beat's: the same, to the recipients whose own local time has reached
                    Monday 07:00 (alignment.local_schedule), keyed by their local week.
audiences()         who sees what: each recipient reads the digest built for their visibility
                    (`visible_to`: private teams they are not on leave out its findings and team
                    row, and company reasons name its records "work in a private team"). Built
                    once per distinct visible-team set, not per recipient: admins and owners
                    share one, members share one per set of private teams they are on. The
                    Slack channel is read by anyone in it, so it gets the public teams' digest.

"This week" is the seven days before the digest's day: each objective's current row (what its
page shows) against its latest snapshot on or before seven days earlier. Dates are the
workspace's (alignment.timezones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alignment import local_schedule, timezones
from alignment.audit import audit_by
from alignment.errors import RoleRequired
from alignment.local_schedule import LocalSlot
from alignment.models import Membership, Role, Team, TeamMember, User, Workspace
from dashboards.reasons import Link
from dashboards.rollups.math import OBJECTIVE
from dashboards.selectors import LeaderDashboard, TeamRow, leader_dashboard
from integrations import digest_slack
from integrations.digest_moved import (  # noqa: F401 (re-exported for templates and tests)
    MovedObjective,
    fresh_rows,
    moved_this_week,
    point_unit,
    points,
)
from integrations.digest_recipients import digest_recipients, wanted_by
from integrations.models import Channel, Integration, OutboxMessage, Provider
from integrations.outbox import outbox_enqueue
from okrs import progress as okr_math
from okrs.models import Period

EVENT_TYPE = "weekly_digest"
SHOWN = 10  # lines per list; "and N more" links to the dashboard for the rest
TEAMS_SHOWN = 25
DIGEST_CHANNEL_KEY = "digest_channel"  # in the Slack integration's `config`


def absolute(url: str | None) -> str | None:
    """A page path as a link that works from a mail client or Slack."""
    if url and url.startswith("/"):
        return settings.SITE_URL + url
    return url


def status_label(code: str) -> str:
    return okr_math.STATUS_LABELS.get(code, code.replace("_", " ").capitalize())


@dataclass(frozen=True)
class RiskItem:
    kind: str  # "Objective" or "Key result"
    title: str
    url: str
    status: str
    percent: int
    expected_percent: int
    reasons: list[str]

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass(frozen=True)
class DriftItem:
    severity: str
    sentence: str
    url: str
    evidence: list[Link]  # with absolute URLs; a record without a page has url None

    @property
    def status_label(self) -> str:
        return status_label(self.severity)


@dataclass(frozen=True)
class TeamLine:
    name: str
    url: str
    alignment_percent: int | None
    velocity: float | None
    velocity_points: list[float]
    velocity_trend: str | None  # rising | falling | steady
    cycle_time_p50: float | None
    dora: list[tuple[str, str | None]]  # (metric label, tier)

    @property
    def trend_arrow(self) -> str:
        return {"rising": "↑", "falling": "↓", "steady": "→"}.get(self.velocity_trend or "", "")

    @property
    def velocity_text(self) -> str:
        return "—" if self.velocity is None else points(self.velocity)

    @property
    def cycle_time_text(self) -> str:
        return "—" if self.cycle_time_p50 is None else f"{self.cycle_time_p50:g} d"

    @property
    def alignment_text(self) -> str:
        return "—" if self.alignment_percent is None else f"{self.alignment_percent}%"

    @property
    def dora_text(self) -> str:
        tiers = [f"{label} {tier}" for label, tier in self.dora if tier]
        return ", ".join(tiers) if tiers else "—"


@dataclass
class Digest:
    workspace: Workspace
    today: date
    week: str  # ISO week, e.g. "2026-W48": part of every dedupe key
    period: Period | None
    percent: int
    expected_percent: int
    status: str
    moved: list[MovedObjective]
    moved_count: int
    at_risk: list[RiskItem]
    at_risk_count: int
    drifting: list[DriftItem]
    drift_count: int
    teams: list[TeamLine]
    team_count: int
    has_team_data: bool
    dashboard_url: str
    preview_url: str
    compared: tuple[date, date] | None = None  # the two snapshot days compared

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def week_start(self) -> date:
        return self.today - timedelta(days=self.today.weekday())

    @property
    def is_quiet(self) -> bool:
        """Nothing moved, nothing at risk, nothing drifting: a short digest says so."""
        return not (self.moved or self.at_risk or self.drifting)

    @property
    def is_empty(self) -> bool:
        """Nothing to report at all (no period, no findings, no team numbers): no digest."""
        return self.period is None and not self.drifting and not self.has_team_data

    @property
    def more_moved(self) -> int:
        return self.moved_count - len(self.moved)

    @property
    def more_at_risk(self) -> int:
        return self.at_risk_count - len(self.at_risk)

    @property
    def more_drifting(self) -> int:
        return self.drift_count - len(self.drifting)

    @property
    def more_teams(self) -> int:
        return self.team_count - len(self.teams)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_today(workspace: Workspace) -> date:
    """The digest's day: the workspace's date (its time zone), so the week it reports and the
    snapshots it compares are the ones its pages show."""
    return timezones.today(workspace)


def _velocity_trend(points: list[float]) -> str | None:
    """The last closed sprint against the mean of the ones before it (±10 % is steady)."""
    if len(points) < 2:
        return None
    earlier = sum(points[:-1]) / (len(points) - 1)
    if points[-1] > earlier * 1.1:
        return "rising"
    if points[-1] < earlier * 0.9:
        return "falling"
    return "steady"


def _team_line(row: TeamRow, slug: str) -> TeamLine:
    url = reverse("dashboards:team", kwargs={"slug": slug, "team_id": row.team.pk})
    return TeamLine(
        name=row.team.name,
        url=settings.SITE_URL + url,
        alignment_percent=row.alignment_percent,
        velocity=row.velocity,
        velocity_points=row.velocity_points,
        velocity_trend=_velocity_trend(row.velocity_points),
        cycle_time_p50=row.cycle_time_p50,
        dora=[(label, tier) for label, tier, _ in row.dora],
    )


def build_digest(
    workspace: Workspace, *, today: date | None = None, viewer: Membership | None = None
) -> Digest:
    """This week's digest of a workspace, from materialized rows only; with a `viewer`, only
    what they may see (private teams: `visible_to`), without, everything (admins' preview)."""
    today = today or digest_today(workspace)
    slug = workspace.slug
    dashboard_url = settings.SITE_URL + reverse("dashboards:leader", kwargs={"slug": slug})
    rows = fresh_rows(workspace, today)  # first: the dashboard then reads today's rows
    dash: LeaderDashboard = leader_dashboard(workspace, today=today, limit=SHOWN, viewer=viewer)
    moved, moved_count, compared = moved_this_week(workspace, dash.period, today, rows, shown=SHOWN)
    at_risk = [
        RiskItem(
            kind="Objective" if node.link.kind == OBJECTIVE else "Key result",
            title=node.link.label,
            url=absolute(node.link.url) or f"{dashboard_url}#at-risk",
            status=node.status,
            percent=node.percent,
            expected_percent=node.expected_percent,
            reasons=[s for s in node.sentences if s],
        )
        for node in dash.at_risk
    ]
    drifting = []
    for item in dash.findings[:SHOWN]:
        evidence = [item.subject] if item.subject else []
        evidence += item.evidence
        links = [Link(e.kind, e.id, e.label, absolute(e.url)) for e in evidence]
        first = next((link.url for link in links if link.url), None)
        drifting.append(
            DriftItem(
                severity=item.finding.severity,
                sentence=item.sentence,
                url=first or f"{dashboard_url}#drift",
                evidence=links,
            )
        )
    # What the leader dashboard counts (dismissed and snoozed findings left out), so "and N
    # more" promises exactly what its link shows.
    drift_count = dash.finding_count
    team_rows = dash.teams
    return Digest(
        workspace=workspace,
        today=today,
        week=iso_week(today),
        period=dash.period,
        percent=dash.percent,
        expected_percent=dash.expected_percent,
        status=dash.status,
        moved=moved,
        moved_count=moved_count,
        at_risk=at_risk,
        at_risk_count=dash.at_risk_count,
        drifting=drifting,
        drift_count=drift_count,
        teams=[_team_line(row, slug) for row in team_rows[:TEAMS_SHOWN]],
        team_count=len(team_rows),
        # A team's row is computed on read even without work (no active sprint, zero points):
        # only a number the digest would print counts as data.
        has_team_data=any(row.alignment_percent is not None or row.metrics for row in team_rows),
        dashboard_url=dashboard_url,
        preview_url=settings.SITE_URL + reverse("integrations:digest", kwargs={"slug": slug}),
        compared=compared,
    )


# --- Rendering ------------------------------------------------------------------------------


def render_email(digest: Digest, user: User, *, preview: bool = False) -> dict[str, str]:
    """Subject, text and HTML of one recipient's e-mail (the outbox payload)."""
    context = {"digest": digest, "user": user, "preview": preview}
    # Any instant in the e-mail reads in the recipient's zone (their own, else the workspace's).
    with timezones.override(timezones.person_zone(user, digest.workspace)):
        subject = " ".join(render_to_string("emails/digest_subject.txt", context).split())
        return {
            "subject": subject,
            "text": render_to_string("emails/digest.txt", context),
            "html": render_to_string("emails/digest.html", context),
        }


def digest_slack_channel(workspace: Workspace) -> str:
    """The digest channel of the Slack integration whose bot token sends: the same row
    `channels.slack_bot_token` picks (the first active one with a token)."""
    integration = (
        Integration.objects.for_workspace(workspace)
        .filter(provider=Provider.SLACK, active=True)
        .exclude(bot_token="")
        .order_by("pk")
        .first()
    )
    if integration is None:
        return ""
    return str((integration.config or {}).get(DIGEST_CHANNEL_KEY) or "").strip()


EVERY_TEAM = "every team"  # the audience of admins, owners and anyone on every private team


@dataclass
class Audience:
    """Recipients who may see the same teams, and the reader their digest is built for."""

    reader: Membership
    members: list[Membership]
    channel: bool = False  # the Slack channel reads this one too (the public teams' digest)


def public_reader(workspace: Workspace) -> Membership:
    """Someone on no team who sees every public one: a channel's reader (never saved)."""
    # No user: `visible_to` finds them on no team (user_id IS NULL), so public teams only.
    return Membership(workspace=workspace, role=Role.VIEWER)


def audiences(
    workspace: Workspace, recipients: list[Membership], *, channel: bool = False
) -> dict[object, Audience]:
    """Recipients grouped by the teams they may see: {EVERY_TEAM or the frozenset of private
    team ids they are on: Audience}. `channel` marks (or adds) the audience of a reader on no
    private team for the Slack channel. Two queries whatever the number of recipients; a
    workspace without private teams has one audience."""
    private = frozenset(
        Team.objects.for_workspace(workspace).filter(is_private=True).values_list("pk", flat=True)
    )
    on_private: dict[int, set[int]] = {}
    readers = [m for m in recipients if not m.sees_every_team]
    if private and readers:
        for user_id, team_id in (
            TeamMember.objects.for_workspace(workspace)
            .filter(team_id__in=private, user_id__in=[m.user_id for m in readers])
            .values_list("user_id", "team_id")
        ):
            on_private.setdefault(user_id, set()).add(team_id)

    def key_of(membership: Membership) -> object:
        if membership.sees_every_team:
            return EVERY_TEAM
        teams = frozenset(on_private.get(membership.user_id, ()))
        return EVERY_TEAM if teams == private else teams  # on every private team: sees all

    groups: dict[object, Audience] = {}
    for membership in recipients:
        groups.setdefault(key_of(membership), Audience(membership, [])).members.append(membership)
    if channel:
        reader = public_reader(workspace)
        groups.setdefault(key_of(reader), Audience(reader, [])).channel = True
    return groups


def _dedupe_key(workspace: Workspace, week: str, recipient: str) -> str:
    return f"{EVENT_TYPE}:{workspace.pk}:{week}:{recipient}"


@transaction.atomic
def send_digest(workspace: Workspace, *, today: date | None = None) -> int:
    """Write this week's digest messages to the outbox, to every recipient now; returns how
    many are new (the beat sends per local time instead: `send_due_digest`).

    A workspace with nothing to report gets none. Each recipient gets the digest of what they
    may see (`audiences`); the Slack channel the public teams' one. Keys already in the outbox
    (an earlier run this week) are skipped before rendering; `outbox_enqueue`'s unique key
    settles a race.
    """
    today = today or digest_today(workspace)
    recipients = wanted_by(digest_recipients(workspace, today=today), workspace)
    channel = digest_slack_channel(workspace)
    week = iso_week(today)
    keys = {m.user_id: _dedupe_key(workspace, week, f"email:{m.user_id}") for m in recipients}
    # One Slack digest per workspace and week, whichever channel: moving the digest to another
    # channel mid-week must not post the week's digest a second time.
    slack_key = _dedupe_key(workspace, week, "slack") if channel else ""
    return _write(workspace, today, recipients, keys, channel, slack_key)


@transaction.atomic
def send_due_digest(workspace: Workspace, *, now: datetime, slot: LocalSlot) -> int:
    """The digest for those whose own local time has reached `slot` (e.g. Monday 07:00): each
    recipient in their zone (their own, else the workspace's), the Slack channel in the
    workspace's. Once per recipient and local week (the dedupe key holds *their* ISO week),
    so a tick that comes round again, or a clock that falls back, writes nothing new."""
    today = timezones.today(workspace, now=now)
    recipients = wanted_by(digest_recipients(workspace, today=today), workspace)
    keys = {}
    for membership in recipients:
        zone = timezones.person_zone(membership.user, workspace)
        day = local_schedule.reached(zone, slot, now)
        if day is not None:
            keys[membership.user_id] = _dedupe_key(
                workspace, iso_week(day), f"email:{membership.user_id}"
            )
    channel = digest_slack_channel(workspace)
    channel_day = local_schedule.reached(timezones.workspace_zone(workspace), slot, now)
    slack_key = _dedupe_key(workspace, iso_week(channel_day), "slack") if channel_day else ""
    due = [m for m in recipients if m.user_id in keys]
    return _write(workspace, today, due, keys, channel if slack_key else "", slack_key)


def _write(
    workspace: Workspace,
    today: date,
    recipients: list[Membership],
    keys: dict[int, str],
    channel: str,
    slack_key: str,
) -> int:
    sent = set(
        OutboxMessage.objects.filter(dedupe_key__in=[*keys.values(), slack_key]).values_list(
            "dedupe_key", flat=True
        )
    )
    unsent = [m for m in recipients if keys[m.user_id] not in sent]
    post_to_channel = bool(channel) and slack_key not in sent
    if not unsent and not post_to_channel:
        return 0
    written = 0
    for audience in audiences(workspace, unsent, channel=post_to_channel).values():
        digest = build_digest(workspace, today=today, viewer=audience.reader)
        if digest.is_empty:
            continue
        for membership in audience.members:
            outbox_enqueue(
                workspace=workspace,
                channel=Channel.EMAIL,
                destination=membership.user.email,
                payload=render_email(digest, membership.user),
                dedupe_key=keys[membership.user_id],
                event_type=EVENT_TYPE,
            )
            written += 1
        if audience.channel:
            outbox_enqueue(
                workspace=workspace,
                channel=Channel.SLACK,
                destination=channel,
                payload=digest_slack.message(digest),
                dedupe_key=slack_key,
                event_type=EVENT_TYPE,
            )
            written += 1
    return written


@transaction.atomic
def digest_send_test(*, actor: Membership, today: date | None = None) -> OutboxMessage:
    """E-mail this week's digest to the asking admin only (a second click within a minute is
    the same message)."""
    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    digest = build_digest(actor.workspace, today=today)
    now = timezone.now()
    message = outbox_enqueue(
        workspace=actor.workspace,
        channel=Channel.EMAIL,
        destination=actor.user.email,
        payload=render_email(digest, actor.user),
        dedupe_key=f"{EVENT_TYPE}_test:{actor.workspace_id}:{actor.user_id}:{now:%Y%m%dT%H%M}",
        event_type=f"{EVENT_TYPE}_test",
    )
    audit_by(
        actor, verb="integration.digest_test_sent", obj=message, after={"to": message.destination}
    )
    return message
