"""The weekly leader digest: built from materialized rows, sent through the outbox to a real
SMTP server and a local Slack Web API, once per recipient and ISO week, never across tenants."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment.errors import FieldErrors
from dashboards.models import Finding, Rollup, Snapshot, TeamMetrics
from integrations import digest, digest_slack, services
from integrations.digest import build_digest, digest_recipients, send_digest
from integrations.digest_recipients import wanted_by
from integrations.models import Channel, Integration, OutboxMessage, OutboxStatus, Provider
from integrations.notifications.preferences import preferences_update
from integrations.tasks import weekly_digest, workspace_digest
from okrs.models import KeyResult, Objective, Period
from tasks.models import Sprint, Task
from tests.conftest import World
from tests.factories import TeamFactory, UserFactory
from tests.factories.core import MembershipFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import SprintFactory, TaskFactory
from tests.integrations.conftest import SLACK_SECRET, integration_for
from tests.querycount import assert_flat_queries

SITE = "https://align.example.com"
CHANNEL = "C0DIGEST01"
STALE_REASON = "The last check-in was 20 days ago (expected at least every 14 days)."


@dataclass
class Planned:
    world: World
    period: Period
    company: Objective  # moved 30% → 42% this week
    steady: Objective  # 20% both weeks: not "moved"
    key_result: KeyResult  # off track, with a stale check-in reason
    sprint: Sprint
    task: Task  # the evidence of the scope finding

    @property
    def slug(self) -> str:
        return self.world.workspace.slug


def _snapshot(objective: Objective, day: date, progress: str, expected: str) -> Snapshot:
    return Snapshot.objects.create(
        workspace=objective.workspace,
        day=day,
        kind="objective",
        node_id=objective.pk,
        progress=Decimal(progress),
        expected=Decimal(expected),
        status="at_risk",
    )


def plan_week(world: World, *, prefix: str, today: date) -> Planned:
    """Objectives with snapshots a week apart, stored rollups with reasons, a finding, metrics:
    the rows the dashboards' jobs write, written here directly so the numbers are exact."""
    ws = world.workspace
    period = PeriodFactory(
        workspace=ws,
        name=f"{prefix} quarter",
        start=today - timedelta(days=45),
        end=today + timedelta(days=45),
    )
    company = ObjectiveFactory(
        period=period,
        level="company",
        team=None,
        title=f"{prefix} wins the market",
        owner=world.admin.user,
    )
    steady = ObjectiveFactory(
        period=period, team=world.team, parent=company, title=f"{prefix} steady onboarding"
    )
    key_result = KeyResultFactory(objective=company, title=f"{prefix} activation to 100")
    _snapshot(company, today - timedelta(days=7), "0.30", "0.42")
    _snapshot(company, today, "0.42", "0.50")
    _snapshot(steady, today - timedelta(days=7), "0.20", "0.42")
    _snapshot(steady, today, "0.20", "0.50")
    Rollup.objects.create(
        workspace=ws,
        kind="objective",
        node_id=company.pk,
        progress=Decimal("0.42"),
        expected=Decimal("0.50"),
        status="on_track",
    )
    Rollup.objects.create(
        workspace=ws,
        kind="key_result",
        node_id=key_result.pk,
        progress=Decimal("0.10"),
        expected=Decimal("0.50"),
        status="off_track",
        reasons=[
            {"code": "behind_pace", "numbers": {"progress": 0.1, "expected": 0.5, "gap": -0.4}},
            {"code": "stale_check_in", "numbers": {"days": 20, "limit": 14}},
        ],
    )
    Rollup.objects.create(
        workspace=ws,
        kind="team",
        node_id=world.team.pk,
        total_points=Decimal("10"),
        aligned_points=Decimal("7"),
    )
    TeamMetrics.objects.create(
        workspace=ws,
        team=world.team,
        data={
            "velocity": {"points": [10, 10, 14], "average": 11.33, "sprints": 3},
            "cycle_time_days": {"p50": 2.5},
            "dora": {
                "deployment_frequency": {"tier": "elite", "value": 1.5},
                "lead_time": {"tier": "high", "value": 30},
            },
        },
    )
    sprint = SprintFactory(team=world.team, name=f"{prefix} sprint 7", status="active")
    task = TaskFactory(team=world.team, title=f"{prefix} late addition", sprint=sprint)
    Finding.objects.create(
        workspace=ws,
        code="scope_added",
        severity="at_risk",
        subject_kind="sprint",
        subject_id=sprint.pk,
        team=world.team,
        numbers={"added_points": 8, "share": 0.4, "committed_points": 20, "limit": 0.2},
        evidence=[["task", task.pk]],
    )
    return Planned(world, period, company, steady, key_result, sprint, task)


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def planned(world: World, today: date, settings: Any) -> Planned:
    settings.SITE_URL = SITE
    return plan_week(world, prefix="Acme", today=today)


@pytest.fixture
def slack_api(world: World, http_peer: Any, settings: Any) -> Any:
    """The workspace's Slack connection with a digest channel, and a local Slack Web API."""
    integration = integration_for(
        world, Provider.SLACK, SLACK_SECRET, config={"digest_channel": CHANNEL}
    )
    integration.set_bot_token("xoxb-digest-bot-token")
    integration.save()
    peer = http_peer(responses=[(200, {}, {"ok": True, "channel": CHANNEL, "ts": "1.2"})]).peer
    settings.SLACK_API_BASE = peer.url + "/api"
    return peer


def run_beat(capture: Any) -> None:
    """The beat job as the worker runs it (eager Celery), then the outbox deliveries."""
    with capture(execute=True):
        weekly_digest.delay()


def received(smtp_inbox: Any) -> dict[str, Message]:
    return {
        envelope.rcpt_tos[0]: message_from_bytes(envelope.content, policy=policy.default)
        for envelope in smtp_inbox.envelopes
    }


def bodies(mail: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in mail.walk()
        if not part.is_multipart()
    }


def slack_bodies(peer: Any) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in peer.received if r.path == "/api/chat.postMessage"]


# --- The e-mail ---------------------------------------------------------------------------


def test_leaders_receive_the_digest_as_html_and_text_over_smtp(
    planned, smtp_inbox, slack_api, django_capture_on_commit_callbacks
):
    run_beat(django_capture_on_commit_callbacks)

    mails = received(smtp_inbox)
    # Owner and admin; the viewer and the plain member get nothing (the company objective's
    # owner is the admin here, so preferences cannot change who is expected).
    assert sorted(mails) == ["admin@acme.example.com", "owner@acme.example.com"]
    mail = mails["admin@acme.example.com"]
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"].startswith("Acme Inc weekly digest")
    assert "1 moved, 1 at risk, 1 drifting" in mail["Subject"]
    parts = bodies(mail)
    text, html = parts["text/plain"], parts["text/html"]
    objective_url = f"{SITE}/w/acme-inc/okrs/objectives/{planned.company.pk}/"
    # Moved, with from → to and the expected pace.
    assert "Acme wins the market: 30% -> 42% (+12 pts; expected 42% -> 50%, 8 pts behind pace)" in (
        text
    )
    assert objective_url in text
    assert f'<a href="{objective_url}" style="color:#0b57d0;">Acme wins the market</a>' in html
    assert "30% → <strong>42%</strong>" in html
    assert "steady onboarding" not in text  # did not move
    # At risk with its reasons, linked to the KR on its objective's page.
    kr_url = f"{objective_url}#kr-{planned.key_result.pk}"
    assert "[Off track] Key result Acme activation to 100: 10% vs 50% expected" in text
    assert STALE_REASON in text
    assert STALE_REASON in html
    assert f'href="{kr_url}"' in html
    # Drifting with the finding's sentence and its evidence links.
    assert "grew by 8 points (40% of the 20 committed) after it started" in text
    task_url = f"{SITE}/w/acme-inc/tasks/{planned.task.key}/"
    assert task_url in text
    assert f'href="{task_url}"' in html
    # The team table.
    team_url = f"{SITE}/w/acme-inc/dashboards/teams/{planned.world.team.pk}/"
    assert (
        "- Acme Engineering: aligned 70% / velocity 11.33 pts (rising) / cycle time 2.5 d / "
        "DORA Deploys elite, Lead time high" in text
    )
    assert f'href="{team_url}"' in html
    assert f"{SITE}/w/acme-inc/dashboards/" in text
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 3


def test_only_objectives_with_a_snapshot_a_week_ago_count_as_moved(planned, today):
    new = ObjectiveFactory(period=planned.period, level="company", team=None, title="Brand new")
    _snapshot(new, today, "0.60", "0.50")  # created this week: nothing to compare with
    old = ObjectiveFactory(period=planned.period, level="company", team=None, title="Long ago")
    _snapshot(old, today - timedelta(days=30), "0.10", "0.20")  # too old to be "a week ago"
    _snapshot(old, today, "0.70", "0.50")

    built = build_digest(planned.world.workspace, today=today)

    assert [m.title for m in built.moved] == ["Acme wins the market"]
    assert built.compared == (today - timedelta(days=7), today)


def test_without_a_snapshot_a_week_ago_nothing_moved(planned, today):
    Snapshot.objects.filter(day__lt=today).update(day=today - timedelta(days=20))
    built = build_digest(planned.world.workspace, today=today)
    assert (built.moved, built.moved_count, built.compared) == ([], 0, None)


def test_a_second_run_in_the_same_week_sends_nothing(
    planned, smtp_inbox, slack_api, django_capture_on_commit_callbacks, today
):
    run_beat(django_capture_on_commit_callbacks)
    keys = set(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    assert len(smtp_inbox.envelopes) == 2
    assert len(slack_bodies(slack_api)) == 1

    run_beat(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        written = workspace_digest.delay(
            workspace_id=planned.world.workspace.pk, day=today.isoformat()
        ).get()

    assert written == 0
    assert len(smtp_inbox.envelopes) == 2
    assert len(slack_bodies(slack_api)) == 1
    assert set(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == keys
    week = digest.iso_week(today)
    assert f"weekly_digest:{planned.world.workspace.pk}:{week}:slack" in keys


def test_next_week_is_a_new_digest(planned, smtp_inbox, django_capture_on_commit_callbacks, today):
    ws = planned.world.workspace
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digest(ws, today=today) == 2
        assert send_digest(ws, today=today + timedelta(days=7)) == 2
    assert len(smtp_inbox.envelopes) == 4


def test_a_workspace_where_nothing_moved_gets_a_short_digest(
    world, smtp_inbox, settings, django_capture_on_commit_callbacks, today
):
    settings.SITE_URL = SITE
    PeriodFactory(workspace=world.workspace, start=today - timedelta(days=10))
    run_beat(django_capture_on_commit_callbacks)

    mail = received(smtp_inbox)["owner@acme.example.com"]
    assert mail["Subject"].endswith("nothing moved")
    text = bodies(mail)["text/plain"]
    assert "Nothing moved this week: no objective changed, nothing is at risk or drifting." in text
    assert "MOVED THIS WEEK" not in text


def test_a_workspace_with_nothing_to_report_gets_no_digest(
    world, smtp_inbox, django_capture_on_commit_callbacks
):
    assert build_digest(world.workspace).is_empty
    run_beat(django_capture_on_commit_callbacks)
    assert smtp_inbox.envelopes == []
    assert not OutboxMessage.objects.exists()


def test_another_workspaces_objectives_never_appear(
    planned, world_b, smtp_inbox, django_capture_on_commit_callbacks, today
):
    plan_week(world_b, prefix="Globex", today=today)
    run_beat(django_capture_on_commit_callbacks)

    mails = received(smtp_inbox)
    assert sorted(mails) == [
        "admin@acme.example.com",
        "admin@globex.example.com",
        "owner@acme.example.com",
        "owner@globex.example.com",
    ]
    for address, mail in mails.items():
        other = "Globex" if address.endswith("@acme.example.com") else "Acme"
        mine = "Acme" if other == "Globex" else "Globex"
        for body in bodies(mail).values():
            assert f"{mine} wins the market" in body
            assert other not in body
            assert ("/w/globex-inc/" in body) == (mine == "Globex")


# --- Slack --------------------------------------------------------------------------------


def test_the_digest_channel_gets_block_kit_blocks(
    planned, smtp_inbox, slack_api, django_capture_on_commit_callbacks
):
    run_beat(django_capture_on_commit_callbacks)

    [request] = [r for r in slack_api.received if r.path == "/api/chat.postMessage"]
    assert request.headers["Authorization"] == "Bearer xoxb-digest-bot-token"
    body = json.loads(request.body)
    assert body["channel"] == CHANNEL
    assert body["text"] == ("Weekly digest for Acme Inc: 1 moved, 1 at risk, 1 drifting.")
    blocks = body["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Weekly digest · Acme Inc", "emoji": True},
    }
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    objective_url = f"{SITE}/w/acme-inc/okrs/objectives/{planned.company.pk}/"
    moved = next(s for s in sections if s.startswith("*Moved this week*"))
    assert f"<{objective_url}|Acme wins the market>: 30% → *42%* (expected 50%" in moved
    risk = next(s for s in sections if s.startswith("*At risk, and why*"))
    assert STALE_REASON in risk
    assert f"<{objective_url}#kr-{planned.key_result.pk}|Acme activation to 100>" in risk
    teams = next(s for s in sections if s.startswith("*Teams*"))
    assert "aligned 70% · velocity 11.33 pts ↑ · cycle time p50 2.5 d" in teams
    assert len(blocks) <= 50
    assert all(len(text) <= 3000 for text in sections)


def test_long_lists_are_cut_within_slacks_limits_with_and_n_more(planned, today):
    company = planned.company
    long_reason = {"code": "stale_check_in", "numbers": {"days": 30, "limit": 14}}
    for n in range(30):
        kr = KeyResultFactory(objective=company, title=f"KR {n} <needs & escaping> " + "x" * 150)
        Rollup.objects.create(
            workspace=company.workspace,
            kind="key_result",
            node_id=kr.pk,
            status="at_risk",
            reasons=[long_reason] * 4,
        )
    message = digest_slack.message(build_digest(company.workspace, today=today))

    [risk] = [
        b["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith("*At risk")
    ]
    assert len(risk) <= 3000
    listed = risk.count("\n• ")
    assert 0 < listed < 31
    dashboard = f"{SITE}/w/acme-inc/dashboards/#at-risk"
    assert risk.endswith(f"_<{dashboard}|and {31 - listed} more on the dashboard>_")
    assert "&lt;needs &amp; escaping&gt;" in risk
    assert "<needs" not in risk


def test_fit_keeps_the_more_link_inside_the_limit():
    lines = [f"• line {n} " + "y" * 500 for n in range(20)]
    text = digest_slack.fit("Teams", lines, more=5, more_url="https://a.example/d")
    assert len(text) <= digest_slack.MAX_SECTION_TEXT
    shown = text.count("\n• ")
    assert text.endswith(f"|and {20 - shown + 5} more on the dashboard>_")


def test_no_slack_message_without_a_digest_channel(
    planned, smtp_inbox, django_capture_on_commit_callbacks
):
    integration = integration_for(planned.world, Provider.SLACK, SLACK_SECRET)
    integration.set_bot_token("xoxb-no-channel")
    integration.save()
    run_beat(django_capture_on_commit_callbacks)
    assert not OutboxMessage.objects.filter(channel=Channel.SLACK).exists()
    assert OutboxMessage.objects.filter(channel=Channel.EMAIL).count() == 2


def test_moving_the_digest_channel_mid_week_posts_no_second_digest(
    planned, smtp_inbox, slack_api, django_capture_on_commit_callbacks, today
):
    ws = planned.world.workspace
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digest(ws, today=today) == 3  # two e-mails and the channel's message
    integration = Integration.objects.get(workspace=ws, provider=Provider.SLACK)
    integration.config = {"digest_channel": "C0ELSEWHERE"}
    integration.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert send_digest(ws, today=today + timedelta(days=2)) == 0  # the same ISO week

    assert [body["channel"] for body in slack_bodies(slack_api)] == [CHANNEL]
    next_week = today + timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digest(ws, today=next_week) == 3
    assert (
        OutboxMessage.objects.get(
            channel=Channel.SLACK, dedupe_key__contains=digest.iso_week(next_week)
        ).destination
        == "C0ELSEWHERE"
    )


# --- Pace in words ------------------------------------------------------------------------


def moved(to_percent: int, expected_percent: int, from_percent: int = 30) -> digest.MovedObjective:
    return digest.MovedObjective(
        title="Grow",
        url=f"{SITE}/o/1/",
        level="company",
        from_percent=from_percent,
        to_percent=to_percent,
        expected_from_percent=40,
        expected_percent=expected_percent,
        status="on_track",
    )


@pytest.mark.parametrize(
    ("to_percent", "expected_percent", "words", "gap"),
    [
        (51, 50, "1 pt ahead of pace", "+1 pt"),
        (49, 50, "1 pt behind pace", "-1 pt"),
        (52, 50, "2 pts ahead of pace", "+2 pts"),
        (42, 50, "8 pts behind pace", "-8 pts"),
        (50, 50, "on pace", "+0 pts"),
    ],
)
def test_pace_is_said_in_points_with_the_right_number(to_percent, expected_percent, words, gap):
    line = moved(to_percent, expected_percent)
    assert line.pace_words == words
    assert line.pace_gap_text == gap


def test_a_one_point_move_is_one_pt_everywhere(planned, today):
    assert moved(31, 50).delta_text == "+1 pt"
    assert moved(29, 50).delta_text == "-1 pt"
    assert moved(32, 50).delta_text == "+2 pts"
    built = build_digest(planned.world.workspace, today=today)
    built.moved = [moved(51, 50, from_percent=50)]
    text = digest.render_email(built, planned.world.admin.user)["text"]
    assert "Grow: 50% -> 51% (+1 pt; expected 40% -> 50%, 1 pt ahead of pace)" in text
    [section] = [
        b["text"]["text"]
        for b in digest_slack.message(built)["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith("*Moved")
    ]
    assert "(expected 50%, +1 pt vs pace)" in section


def test_one_story_point_of_velocity_is_one_pt():
    line = digest.TeamLine(
        name="ENG",
        url="",
        alignment_percent=None,
        velocity=1.0,
        velocity_points=[1.0],
        velocity_trend=None,
        cycle_time_p50=None,
        dora=[],
    )
    assert line.velocity_text == "1 pt"


# --- Recipients ---------------------------------------------------------------------------


def test_recipients_are_active_leaders_and_company_objective_owners(world, world_b, today):
    period = PeriodFactory(workspace=world.workspace)
    ObjectiveFactory(period=period, level="company", team=None, owner=world.member.user)
    ObjectiveFactory(period=period, owner=world.viewer.user)  # a team objective: not counted
    # An owner of a company objective who is not a member here gets nothing from this workspace.
    ObjectiveFactory(period=period, level="company", team=None, owner=world_b.owner.user)
    world.owner.user.is_active = False
    world.owner.user.save()

    emails = [m.user.email for m in digest_recipients(world.workspace, today=today)]

    assert emails == ["admin@acme.example.com", "member@acme.example.com"]


def test_recipients_who_turned_the_digest_off_get_none(
    planned, smtp_inbox, django_capture_on_commit_callbacks
):
    preferences = pytest.importorskip("integrations.notifications.preferences")
    preferences.preferences_update(
        actor=planned.world.admin, choices={"weekly_digest": {"email": False}}
    )
    run_beat(django_capture_on_commit_callbacks)
    assert sorted(received(smtp_inbox)) == ["owner@acme.example.com"]


def test_a_member_owning_a_company_objective_gets_it_once_opted_in(
    planned, smtp_inbox, django_capture_on_commit_callbacks, today
):
    preferences = pytest.importorskip("integrations.notifications.preferences")
    world = planned.world
    planned.company.owner = world.member.user
    planned.company.save()
    assert world.member in digest_recipients(world.workspace, today=today)
    # The preferences' default: the digest e-mail is on for owners and admins only.
    with django_capture_on_commit_callbacks(execute=True):
        send_digest(world.workspace, today=today)
    assert "member@acme.example.com" not in received(smtp_inbox)

    preferences.preferences_update(actor=world.member, choices={"weekly_digest": {"email": True}})
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digest(world.workspace, today=today) == 1  # the others had theirs
    assert "member@acme.example.com" in received(smtp_inbox)


def test_the_recipients_preferences_cost_the_same_queries_for_two_or_twenty(
    planned, today, django_assert_max_num_queries
):
    world = planned.world
    preferences_update(actor=world.admin, choices={"weekly_digest": {"email": False}})

    def wanted() -> list[str]:
        recipients = digest_recipients(world.workspace, today=today)
        with django_assert_max_num_queries(1):  # the preference rows of all of them at once
            return [m.user.email for m in wanted_by(recipients, world.workspace)]

    assert wanted() == ["owner@acme.example.com"]
    for n in range(18):
        admin = MembershipFactory(
            workspace=world.workspace,
            role="admin" if n % 2 else "owner",
            user=UserFactory(email=f"leader{n:02d}@acme.example.com"),
        )
        if n % 3 == 0:
            preferences_update(actor=admin, choices={"weekly_digest": {"email": False}})
    emails = wanted()
    assert len(emails) == 13  # the owner and 12 of the 18 leaders; the admin and 6 turned it off
    assert "admin@acme.example.com" not in emails
    assert "leader00@acme.example.com" not in emails
    assert "leader01@acme.example.com" in emails


# --- Query counts -------------------------------------------------------------------------


def _grow(planned: Planned, today: date) -> None:
    ws = planned.world.workspace
    for n in range(15):
        objective = ObjectiveFactory(
            period=planned.period, level="company", team=None, owner=planned.world.admin.user
        )
        _snapshot(objective, today - timedelta(days=7), "0.5", "0.4")
        _snapshot(objective, today, f"0.{n + 2:02d}", "0.5")
        Rollup.objects.create(
            workspace=ws,
            kind="objective",
            node_id=objective.pk,
            status="at_risk",
            reasons=[{"code": "stale_check_in", "numbers": {"days": 20, "limit": 14}}],
        )
        team = TeamFactory(workspace=ws)
        TeamMetrics.objects.create(workspace=ws, team=team, data={"velocity": {"points": [n]}})
        Finding.objects.create(
            workspace=ws,
            code="scope_added",
            severity="off_track",
            subject_kind="team",
            subject_id=team.pk,
            numbers={"added_points": n, "share": 0.5, "committed_points": 10, "limit": 0.2},
        )


def test_the_preview_page_reads_a_fixed_number_of_queries(planned, admin_client, today):
    url = f"/w/{planned.slug}/integrations/digest/?part=email"
    assert_flat_queries(admin_client, url, grow=lambda: _grow(planned, today))


def test_a_workspace_digest_costs_the_same_queries_at_two_data_sizes(planned, today):
    ws = planned.world.workspace

    def run() -> int:
        OutboxMessage.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            assert workspace_digest(workspace_id=ws.pk, day=today.isoformat()) == 2
        return len(captured)

    small = run()
    _grow(planned, today)
    assert build_digest(ws, today=today).moved_count == 16
    assert run() == small


# --- The beat schedule and the preview page -----------------------------------------------


def test_the_beat_runs_the_digest_on_monday_at_seven():
    entry = django_settings.CELERY_BEAT_SCHEDULE["integrations-weekly-digest"]
    assert entry["task"] == "integrations.weekly_digest"
    assert entry["schedule"] == crontab(hour=7, minute=0, day_of_week="mon")


def test_admins_preview_this_weeks_digest(planned, admin_client):
    response = admin_client.get(f"/w/{planned.slug}/integrations/digest/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme Inc weekly digest" in page
    assert "admin@acme.example.com" in page
    assert f'src="/w/{planned.slug}/integrations/digest/?part=email"' in page

    frame = admin_client.get(f"/w/{planned.slug}/integrations/digest/?part=email")
    assert frame.status_code == 200
    assert "Acme wins the market" in frame.content.decode()
    assert '<base target="_top">' in frame.content.decode()
    assert "style-src 'unsafe-inline'" in frame["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in frame["Content-Security-Policy"]
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


def test_an_unknown_preview_part_is_a_400(planned, admin_client):
    response = admin_client.get(f"/w/{planned.slug}/integrations/digest/?part=slack")
    assert response.status_code == 400


def test_members_cannot_see_or_send_the_digest(planned, member_client):
    url = f"/w/{planned.slug}/integrations/digest/"
    assert member_client.get(url).status_code == 403
    assert member_client.post(url).status_code == 403
    assert not OutboxMessage.objects.exists()


def test_send_me_a_test_mails_the_asking_admin_only(
    planned, admin_client, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/w/{planned.slug}/integrations/digest/")
    assert response.status_code == 303
    assert response["Location"] == f"/w/{planned.slug}/integrations/digest/"
    mails = received(smtp_inbox)
    assert list(mails) == ["admin@acme.example.com"]
    assert "Acme wins the market" in bodies(mails["admin@acme.example.com"])["text/plain"]
    [message] = OutboxMessage.objects.all()
    assert message.event_type == "weekly_digest_test"


# --- The Slack digest channel setting -----------------------------------------------------


def _slack(world: World) -> Integration:
    integration = integration_for(world, Provider.SLACK, SLACK_SECRET)
    integration.set_bot_token("xoxb-setting")
    integration.save()
    return integration


def test_admins_set_and_clear_the_slack_digest_channel(world):
    integration = _slack(world)
    services.integration_update(
        actor=world.admin,
        integration=integration,
        name=integration.name,
        active=True,
        digest_channel=" C0LEADERS1 ",
    )
    integration.refresh_from_db()
    assert integration.config["digest_channel"] == "C0LEADERS1"
    assert digest.digest_slack_channel(world.workspace) == "C0LEADERS1"

    services.integration_update(
        actor=world.admin,
        integration=integration,
        name=integration.name,
        active=True,
        digest_channel="",
    )
    integration.refresh_from_db()
    assert "digest_channel" not in integration.config


@pytest.mark.parametrize("channel", ["<#C01>", "general channel", "C0 1"])
def test_a_malformed_digest_channel_is_refused(world, channel):
    integration = _slack(world)
    with pytest.raises(FieldErrors) as refused:
        services.integration_update(
            actor=world.admin,
            integration=integration,
            name="Slack",
            active=True,
            digest_channel=channel,
        )
    assert "digest_channel" in refused.value.fields
    integration.refresh_from_db()
    assert "digest_channel" not in integration.config


def test_the_digest_channel_is_set_on_the_slack_connection_page(world, admin_client):
    integration = _slack(world)
    response = admin_client.post(
        f"/w/{world.workspace.slug}/integrations/{integration.pk}/",
        {"name": integration.name, "active": "on", "digest_channel": "#leadership"},
    )
    assert response.status_code == 303
    integration.refresh_from_db()
    assert integration.config["digest_channel"] == "#leadership"


def test_only_slack_connections_post_the_digest(world):
    github = integration_for(world, Provider.GITHUB, "g" * 20)
    with pytest.raises(FieldErrors):
        services.integration_update(
            actor=world.admin,
            integration=github,
            name="GitHub",
            active=True,
            digest_channel="C0LEADERS1",
        )
