"""The weekly leader digest: built from materialized rows, sent through the outbox to a real
SMTP server and a local Slack Web API, once per recipient and ISO week, never across tenants.

Recipients, query counts, the preview page and the Slack channel setting are in
test_digest_settings.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.models import Team, TeamMember
from dashboards.dismissals import finding_dismiss
from dashboards.models import Finding, Rollup, Snapshot
from integrations import digest, digest_slack
from integrations.digest import EVERY_TEAM, audiences, build_digest, send_digest
from integrations.models import Channel, Integration, OutboxMessage, OutboxStatus, Provider
from integrations.notifications.preferences import preferences_update
from integrations.tasks import workspace_digest
from okrs.models import Objective
from tests.factories.core import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.integrations.conftest import SLACK_SECRET, integration_for
from tests.integrations.digest.world import (
    CHANNEL,
    SITE,
    STALE_REASON,
    _snapshot,
    bodies,
    plan_week,
    received,
    run_beat,
    slack_bodies,
)

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
    # Drifting: the sprint's scope growth and, as real work unlinked to any key result, its
    # low alignment (both found by the refresh, not written by hand).
    assert "1 moved, 1 at risk, 2 drifting" in mail["Subject"]
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
    # Drifting with the finding's sentence and its evidence links: the added task.
    assert (
        "“Acme sprint 7” grew by 8 points (40% of the 20 committed) after it started, "
        "1 task added; the limit is 20%." in text
    )
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


def test_and_n_more_counts_the_findings_the_dashboard_shows_not_dismissed_ones(planned, today):
    ws = planned.world.workspace
    before = build_digest(ws, today=today)
    assert before.drift_count == len(before.drifting) == 2
    low = Finding.objects.get(workspace=ws, code="low_alignment")
    finding_dismiss(actor=planned.world.admin, finding=low, reason="Spike work, on purpose.")

    after = build_digest(ws, today=today)

    assert after.drift_count == 1
    assert after.more_drifting == 0
    assert [d.sentence for d in after.drifting] == [
        "“Acme sprint 7” grew by 8 points (40% of the 20 committed) after it started, "
        "1 task added; the limit is 20%."
    ]


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
    assert body["text"] == ("Weekly digest for Acme Inc: 1 moved, 1 at risk, 2 drifting.")
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

    # Another day of the same ISO week: its Sunday, or its Monday when today is the Sunday.
    monday = today - timedelta(days=today.weekday())
    same_week = monday + timedelta(days=0 if today.weekday() == 6 else 6)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digest(ws, today=same_week) == 0

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


# --- Private teams ---------------------------------------------------------------------------


def test_a_private_teams_work_reaches_only_recipients_who_may_see_it(
    planned, smtp_inbox, slack_api, django_capture_on_commit_callbacks
):
    # The sprint, its findings and its team row belong to a private team; the company
    # objective's owner is a plain member who is not on it.
    world = planned.world
    Team.objects.filter(pk=world.team.pk).update(is_private=True)
    Objective.objects.filter(pk=planned.company.pk).update(owner=world.member.user)
    preferences_update(actor=world.member, choices={"weekly_digest": {"email": True}})

    run_beat(django_capture_on_commit_callbacks)

    mails = received(smtp_inbox)
    assert sorted(mails) == [
        "admin@acme.example.com",
        "member@acme.example.com",
        "owner@acme.example.com",
    ]
    admin_text = bodies(mails["admin@acme.example.com"])["text/plain"]
    assert "Acme sprint 7" in admin_text
    assert planned.task.key in admin_text
    assert "Acme Engineering" in admin_text
    for text in (
        *bodies(mails["member@acme.example.com"]).values(),
        json.dumps(slack_bodies(slack_api)),
    ):
        assert "Acme sprint 7" not in text
        assert "Acme late addition" not in text
        assert planned.task.key not in text
        assert "Acme Engineering" not in text
        # Company objectives are everyone's: the headline stays.
        assert "Acme wins the market" in text


def test_recipients_who_see_the_same_teams_share_one_build(planned, today):
    world = planned.world
    Team.objects.filter(pk=world.team.pk).update(is_private=True)
    other = TeamFactory(workspace=world.workspace, key="OPS", is_private=True)
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=world.viewer.user)
    recipients = [world.owner, world.admin, world.member, world.viewer]
    with CaptureQueriesContext(connection) as queries:
        groups = audiences(world.workspace, recipients, channel=True)
    assert len(queries) == 2
    assert {key: [m.role for m in group.members] for key, group in groups.items()} == {
        EVERY_TEAM: ["owner", "admin"],
        frozenset(): ["member"],
        frozenset({world.team.pk}): ["viewer"],
    }
    assert [key for key, group in groups.items() if group.channel] == [frozenset()]
    # On every private team: the same digest as the admins.
    TeamMember.objects.create(workspace=world.workspace, team=other, user=world.viewer.user)
    groups = audiences(world.workspace, recipients)
    assert [m.role for m in groups[EVERY_TEAM].members] == ["owner", "admin", "viewer"]


def test_a_workspace_without_private_teams_builds_one_digest(planned, today):
    world = planned.world
    groups = audiences(world.workspace, [world.owner, world.member], channel=True)
    assert list(groups) == [EVERY_TEAM]
    assert groups[EVERY_TEAM].channel
