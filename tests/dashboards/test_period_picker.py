"""The period picker of the leader and team dashboards (?period=<id>), the empty states with a
next step, and taking the first snapshot now."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.models import Team
from dashboards import period_picker, rollups
from dashboards.models import Snapshot
from dashboards.period_picker import default_period
from dashboards.selectors import leader_dashboard
from okrs import selectors as okr_selectors
from okrs.models import Period
from okrs.services.settings import okr_thresholds_update
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory

pytestmark = pytest.mark.django_db


def leader(world, **query) -> str:
    url = reverse("dashboards:leader", kwargs={"slug": world.workspace.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def team_page(world, **query) -> str:
    url = reverse(
        "dashboards:team", kwargs={"slug": world.workspace.slug, "team_id": world.team.pk}
    )
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def quarters(world, today) -> tuple[Period, Period]:
    """This quarter (45 days in) and the last one (closed), each with a company objective and a
    team objective of the world's team."""
    now = PeriodFactory(
        workspace=world.workspace,
        name="This quarter",
        start=today - timedelta(days=45),
        end=today + timedelta(days=45),
    )
    last = PeriodFactory(
        workspace=world.workspace,
        name="Last quarter",
        start=today - timedelta(days=136),
        end=today - timedelta(days=46),
    )
    for period, word in ((now, "Now"), (last, "Then")):
        company = ObjectiveFactory(period=period, level="company", team=None, title=f"{word} win")
        KeyResultFactory(objective=company)
        team_goal = ObjectiveFactory(period=period, team=world.team, title=f"{word} ship")
        KeyResultFactory(objective=team_goal)
    rollups.recompute_all(world.workspace)
    return now, last


# ---- which period ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spans",
    [
        [(-45, 45), (-136, -46)],  # one contains today
        [(-45, 45), (-10, 80)],  # two contain today (an explicit overlap): the later start
        [(-200, -100), (-90, -10)],  # none contains today: the latest that started
        [(10, 100), (101, 190)],  # all ahead: the first
        [],
    ],
)
def test_the_default_is_the_current_period_of_the_okr_pages(world, today, spans):
    for n, (start, end) in enumerate(spans):
        PeriodFactory(
            workspace=world.workspace,
            name=f"P{n}",
            start=today + timedelta(days=start),
            end=today + timedelta(days=end),
        )
    periods = list(Period.objects.for_workspace(world.workspace))

    expected = okr_selectors.current_period(world.workspace, today=today)
    assert default_period(periods, today) == expected


def test_the_leader_dashboard_opens_on_the_current_period(viewer_client, world, quarters):
    body = viewer_client.get(leader(world)).content.decode()

    assert "Now win" in body
    assert "Then win" not in body
    assert f'<option value="{quarters[0].pk}" selected>This quarter · current</option>' in body
    assert "Back to the current period" not in body


def test_a_chosen_period_stays_in_the_url_and_shows_its_objectives(viewer_client, world, quarters):
    last = quarters[1]
    last.closed_at = timezone.make_aware(datetime.combine(last.end, time(18)))
    last.save(update_fields=["closed_at"])

    body = viewer_client.get(leader(world, period=last.pk)).content.decode()

    assert "Then win" in body
    assert "Now win" not in body
    assert f'<option value="{last.pk}" selected>Last quarter · closed</option>' in body
    assert "Back to the current period (This quarter)" in body
    assert f"?table=objectives&amp;period={last.pk}" in body


def test_the_picker_is_a_get_form_that_htmx_enhances(viewer_client, world, quarters):
    body = viewer_client.get(leader(world)).content.decode()

    assert 'id="period-picker" method="get"' in body
    assert 'hx-push-url="true"' in body
    assert 'name="period"' in body


def test_a_new_period_does_not_take_over_a_chosen_one(admin_client, world, quarters, today):
    # An admin creates a period that overlaps on purpose; a link to last quarter still shows it.
    PeriodFactory(
        workspace=world.workspace,
        name="Sprint to launch",
        start=today - timedelta(days=1),
        end=today + timedelta(days=20),
        allows_overlap=True,
        overlap_reason="Launch push",
    )

    body = admin_client.get(leader(world, period=quarters[1].pk)).content.decode()

    assert "Then win" in body


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1e3"])
def test_an_unknown_period_is_404(viewer_client, world, quarters, value):
    assert viewer_client.get(leader(world, period=value)).status_code == 404
    assert viewer_client.get(team_page(world, period=value)).status_code == 404


def test_another_workspaces_period_is_404(viewer_client, world, world_b, quarters, today):
    theirs = PeriodFactory(
        workspace=world_b.workspace, name="Q", start=today, end=today + timedelta(days=9)
    )

    assert viewer_client.get(leader(world, period=theirs.pk)).status_code == 404
    assert viewer_client.get(team_page(world, period=theirs.pk)).status_code == 404
    export = reverse("dashboards:leader_export", kwargs={"slug": world.workspace.slug})
    assert viewer_client.get(f"{export}?table=objectives&period={theirs.pk}").status_code == 404


def test_the_csv_export_follows_the_chosen_period(viewer_client, world, quarters):
    export = reverse("dashboards:leader_export", kwargs={"slug": world.workspace.slug})

    body = viewer_client.get(f"{export}?table=objectives&period={quarters[1].pk}").content

    assert b"Then win" in body
    assert b"Now win" not in body


def test_the_team_dashboard_shows_the_teams_objectives_of_the_chosen_period(
    viewer_client, world, quarters
):
    current = viewer_client.get(team_page(world)).content.decode()
    chosen = viewer_client.get(team_page(world, period=quarters[1].pk)).content.decode()

    assert "Now ship" in current
    assert "Then ship" not in current
    assert "Then ship" in chosen
    assert "Now win" not in chosen  # company objectives are not the team's
    assert f"?period={quarters[1].pk}" in chosen  # the link to the leader dashboard keeps it


def test_the_company_status_uses_the_workspaces_thresholds(world, quarters, today):
    # Both company objectives are at 0% with 50% expected; by default that is off track.
    assert leader_dashboard(world.workspace, today=today).status == "off_track"

    okr_thresholds_update(actor=world.admin, at_risk_points=60, off_track_points=80)
    world.workspace.refresh_from_db()

    assert leader_dashboard(world.workspace, today=today).status == "on_track"


# ---- empty states ------------------------------------------------------------------------


def test_without_a_period_admins_get_a_button_and_others_who_to_ask(
    admin_client, viewer_client, world
):
    admin = admin_client.get(leader(world)).content.decode()
    viewer = viewer_client.get(leader(world)).content.decode()

    new_period = reverse("okrs:period_new", kwargs={"slug": world.workspace.slug})
    assert f'href="{new_period}">Create a period</a>' in admin
    assert "Create a period</a>" not in viewer
    assert "acme admin</a>" in viewer
    assert "acme owner</a>" in viewer
    assert "to create this quarter" in viewer
    for body in (admin, viewer):
        assert "No planning period yet." in body
        assert "On track" not in body
        assert "is on track" not in body
        assert "manage.py" not in body


def test_a_period_without_objectives_says_what_to_write(admin_client, member_client, world, today):
    period = PeriodFactory(
        workspace=world.workspace, name="Q", start=today - timedelta(days=5), end=today
    )

    admin = admin_client.get(leader(world)).content.decode()
    member = member_client.get(leader(world)).content.decode()

    assert "No objectives in Q." in admin
    assert f'?period={period.pk}&amp;level=company">Write a company objective</a>' in admin
    assert "Write a company objective" not in member
    assert "to set the company's objectives" in member
    assert "write your team's objectives" in member
    for body in (admin, member):
        assert "Nothing to watch yet: Q has no objectives." in body
        assert "The trend appears once Q has objectives." in body
        assert "On track" not in body


def test_the_team_dashboard_without_objectives_offers_to_write_one(
    member_client, viewer_client, world, today
):
    period = PeriodFactory(
        workspace=world.workspace, name="Q", start=today - timedelta(days=5), end=today
    )

    member = member_client.get(team_page(world)).content.decode()
    viewer = viewer_client.get(team_page(world)).content.decode()

    assert f"?period={period.pk}&amp;team={world.team.pk}&amp;level=team" in member
    assert "Write a team objective" not in viewer
    assert "has no objectives in Q" in viewer
    assert "Plan and start a sprint" in member
    assert "Plan and start a sprint" not in viewer


def test_an_empty_trend_explains_when_it_appears_and_admins_can_build_it(
    admin_client, viewer_client, world, quarters
):
    admin = admin_client.get(leader(world)).content.decode()
    viewer = viewer_client.get(leader(world)).content.decode()

    assert "The trend appears after the first daily snapshot" in viewer
    assert "Build the trend now" in admin
    assert "Build the trend now" not in viewer
    assert "manage.py" not in admin + viewer


def test_build_the_trend_now_takes_snapshots_and_draws_the_trend(admin_client, world, quarters):
    url = reverse("dashboards:snapshot_now", kwargs={"slug": world.workspace.slug})

    response = admin_client.post(url, {"period": str(quarters[0].pk)})

    assert response.status_code == 303
    assert response["Location"].endswith(f"?period={quarters[0].pk}")
    assert Snapshot.objects.filter(workspace=world.workspace, kind="objective").exists()
    page = admin_client.get(response["Location"]).content.decode()
    assert "The trend appears after the first daily snapshot" not in page
    assert 'id="chart-company-trend"' in page
    assert "Trend built from the last 30 days of history" in page


def test_members_cannot_take_snapshots(member_client, world, quarters):
    url = reverse("dashboards:snapshot_now", kwargs={"slug": world.workspace.slug})

    assert member_client.post(url).status_code == 403
    assert not Snapshot.objects.filter(workspace=world.workspace).exists()


def test_periods_read_with_the_team_are_those_the_picker_reads(world, quarters, today):
    # The team page reads the periods with its team (period_picker.with_periods, one JSON
    # value): the same rows, fields and order as the picker's own query.
    now, last = quarters
    last.closed_at = timezone.now() - timedelta(days=3)
    last.save(update_fields=["closed_at"])
    PeriodFactory(
        workspace=world.workspace,
        name="Next quarter",
        start=today + timedelta(days=46),
        end=today + timedelta(days=136),
    )
    team = period_picker.with_periods(Team.objects.filter(pk=world.team.pk)).get()
    read_with_team = period_picker.periods_of(team)
    own = period_picker.period_choice(world.workspace, {}, today).periods
    fields = ("pk", "workspace_id", "name", "start", "end", "closed_at")
    assert [[getattr(p, f) for f in fields] for p in read_with_team] == [
        [getattr(p, f) for f in fields] for p in own
    ]
    assert [p.name for p in read_with_team] == ["Next quarter", "This quarter", "Last quarter"]
    assert read_with_team[2].closed_at == Period.objects.get(pk=last.pk).closed_at
    choice = period_picker.period_choice(world.workspace, {}, today, periods=read_with_team)
    assert choice.period == now
    assert choice.state(read_with_team[2], today) == "closed"
