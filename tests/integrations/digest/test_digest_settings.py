"""The weekly digest's recipients and preferences, its query counts, the beat schedule, the
admin preview page and the Slack digest channel setting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.errors import FieldErrors
from dashboards.models import Finding, TeamMetrics
from integrations import digest, services
from integrations.digest import build_digest, digest_recipients, send_digest
from integrations.digest_recipients import wanted_by
from integrations.models import Integration, OutboxMessage, Provider
from integrations.notifications.preferences import preferences_update
from integrations.tasks import workspace_digest
from readmodel.models import Rollup
from tests.conftest import World
from tests.factories import TeamFactory, UserFactory
from tests.factories.core import MembershipFactory
from tests.factories.okrs import ObjectiveFactory, PeriodFactory
from tests.integrations.conftest import SLACK_SECRET, integration_for
from tests.integrations.digest.world import (
    Planned,
    _snapshot,
    bodies,
    received,
    run_beat,
)
from tests.querycount import assert_flat_queries

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
        # Its row, as the rollup jobs leave it: a missing one is computed on read, which is
        # the repair path, not the steady state this test measures.
        Rollup.objects.create(workspace=ws, kind="team", node_id=team.pk)
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


def test_the_beat_runs_the_digest_tick_that_sends_at_local_times():
    # Monday 07:00 in each recipient's zone: tests/integrations/digest/test_digest_local_time.py
    entry = django_settings.CELERY_BEAT_SCHEDULE["integrations-digest-tick"]
    assert entry["task"] == "integrations.digest_tick"
    assert entry["schedule"] == crontab(minute="*/15")


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
