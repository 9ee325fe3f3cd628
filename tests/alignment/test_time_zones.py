"""Time zones: the workspace's (admin setting, API), a person's own, and which day "today" is.

The instants below sit where the UTC date differs from the local one: 13:30 UTC on Thursday
14 May 2026 is already Friday 01:30 in Auckland (UTC+12), and 05:30 UTC on Friday 15 May is
still Thursday 22:30 in Los Angeles (UTC-7).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from alignment import timezones
from alignment.errors import FieldErrors, RoleRequired
from alignment.models import AuditEvent, Workspace
from okrs.models import CheckIn
from tests.conftest import World, api_client_for, client_for
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory

pytestmark = pytest.mark.django_db

AUCKLAND_FRIDAY = datetime(2026, 5, 14, 13, 30, tzinfo=UTC)  # Fri 15 May, 01:30 NZST
LA_THURSDAY = datetime(2026, 5, 15, 5, 30, tzinfo=UTC)  # Thu 14 May, 22:30 PDT


def set_zone(world: World, name: str) -> Workspace:
    workspace = timezones.workspace_time_zone_set(actor=world.admin, name=name)
    world.workspace.settings = workspace.settings
    return workspace


# --- the helper ------------------------------------------------------------------------------


def test_a_workspace_runs_on_utc_until_an_admin_sets_a_zone(world: World):
    assert timezones.workspace_zone_name(world.workspace) == "UTC"
    assert timezones.today(world.workspace, now=AUCKLAND_FRIDAY) == date(2026, 5, 14)


def test_today_is_the_workspace_date_not_the_utc_one(world: World):
    set_zone(world, "Pacific/Auckland")
    assert timezones.today(world.workspace, now=AUCKLAND_FRIDAY) == date(2026, 5, 15)
    set_zone(world, "America/Los_Angeles")
    assert timezones.today(world.workspace, now=LA_THURSDAY) == date(2026, 5, 14)
    with time_machine.travel(LA_THURSDAY, tick=False):
        assert timezones.today_of(world.workspace.pk) == date(2026, 5, 14)


def test_day_boundaries_are_midnights_in_the_workspace_zone(world: World):
    set_zone(world, "Pacific/Auckland")
    start = timezones.day_start(world.workspace, date(2026, 5, 15))
    end = timezones.day_end(world.workspace, date(2026, 5, 15))
    assert start.astimezone(UTC) == datetime(2026, 5, 14, 12, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 5, 15, 11, 59, 59, 999999, tzinfo=UTC)


def test_the_zone_change_reaches_jobs_that_know_only_the_workspace_id(world: World):
    assert timezones.workspace_zone_of(world.workspace.pk).key == "UTC"
    set_zone(world, "Pacific/Auckland")
    # The cache entry is replaced after commit (the test transaction never commits).
    from django.core.cache import cache

    cache.delete(timezones._cache_key(world.workspace.pk))
    assert timezones.workspace_zone_of(world.workspace.pk).key == "Pacific/Auckland"


# --- the setting ---------------------------------------------------------------------------------


def test_unknown_zones_are_refused_with_a_clear_message(world: World):
    with pytest.raises(FieldErrors) as refused:
        timezones.workspace_time_zone_set(actor=world.admin, name="Mars/Olympus_Mons")
    assert "is not a time zone" in refused.value.fields["time_zone"][0]
    assert timezones.workspace_zone_name(Workspace.objects.get(pk=world.workspace.pk)) == "UTC"


def test_zone_names_are_stored_in_their_canonical_spelling_and_audited(world: World):
    set_zone(world, "  pacific/auckland ")
    stored = Workspace.objects.get(pk=world.workspace.pk)
    assert timezones.workspace_zone_name(stored) == "Pacific/Auckland"
    event = AuditEvent.objects.get(verb="workspace.time_zone_changed")
    assert (event.before, event.after) == ({"time_zone": "UTC"}, {"time_zone": "Pacific/Auckland"})


def test_only_admins_change_the_workspace_zone(world: World):
    with pytest.raises(RoleRequired):
        timezones.workspace_time_zone_set(actor=world.member, name="Europe/Berlin")


def test_a_zone_change_recomputes_the_expected_pace(world: World):
    from dashboards.subscribers_settings import SUBSCRIPTIONS

    assert (timezones.WorkspaceTimeZoneChanged, SUBSCRIPTIONS[0][1]) in SUBSCRIPTIONS


# --- pages ---------------------------------------------------------------------------------------


def test_admins_set_the_zone_on_the_settings_page(world: World, admin_client: Client):
    url = f"/w/{world.workspace.slug}/settings/time-zone/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'list="zone-names"' in page.content.decode()
    refused = admin_client.post(url, {"time_zone": "Nowhere/Land"})
    assert refused.status_code == 422
    assert "is not a time zone" in refused.content.decode()
    saved = admin_client.post(url, {"time_zone": "Pacific/Auckland"})
    assert saved.status_code == 303
    assert "Pacific/Auckland" in admin_client.get(url).content.decode()


def test_members_see_the_zone_but_cannot_change_it(world: World, member_client: Client):
    url = f"/w/{world.workspace.slug}/settings/time-zone/"
    page = member_client.get(url)
    assert page.status_code == 200
    assert "Only admins change" in page.content.decode()
    assert member_client.post(url, {"time_zone": "Europe/Berlin"}).status_code == 403


def _check_in_page(world: World, client: Client, at: datetime) -> str:
    period = PeriodFactory(workspace=world.workspace, start=date(2026, 4, 1), end=date(2026, 6, 30))
    objective = ObjectiveFactory(period=period, team=world.team)
    key_result = KeyResultFactory(objective=objective)
    check_in = CheckIn.objects.create(
        workspace=world.workspace, key_result=key_result, value=5, confidence=7, note="n"
    )
    CheckIn.objects.filter(pk=check_in.pk).update(created_at=at)
    return client.get(objective.get_absolute_url()).content.decode()


def test_pages_show_instants_in_the_workspace_zone(world: World, member_client: Client):
    set_zone(world, "Pacific/Auckland")
    with time_machine.travel(AUCKLAND_FRIDAY, tick=False):
        page = _check_in_page(world, member_client, AUCKLAND_FRIDAY)
    assert "15 May 2026, 01:30" in page  # not the UTC "14 May 2026, 13:30"


def test_a_persons_own_zone_wins_on_pages(world: World, member_client: Client):
    set_zone(world, "Pacific/Auckland")
    timezones.user_time_zone_set(user=world.member.user, name="America/Los_Angeles")
    with time_machine.travel(AUCKLAND_FRIDAY, tick=False):
        page = _check_in_page(world, member_client, LA_THURSDAY)
    assert "14 May 2026, 22:30" in page


def test_the_profile_sets_and_clears_a_persons_zone(world: World):
    client = client_for(world.member.user)
    name = world.member.user.full_name
    refused = client.post("/accounts/profile/", {"full_name": name, "time_zone": "Moon/Base"})
    assert refused.status_code == 422
    assert "is not a time zone" in refused.content.decode()
    client.post("/accounts/profile/", {"full_name": name, "time_zone": "europe/berlin"})
    world.member.user.refresh_from_db()
    assert world.member.user.time_zone == "Europe/Berlin"
    client.post("/accounts/profile/", {"full_name": name, "time_zone": ""})
    world.member.user.refresh_from_db()
    assert world.member.user.time_zone == ""


def test_the_zone_never_leaks_into_the_next_request(world: World, member_client: Client):
    from django.utils import timezone

    set_zone(world, "Pacific/Auckland")
    member_client.get(f"/w/{world.workspace.slug}/settings/time-zone/")
    assert timezone.get_current_timezone_name() == "UTC"


# --- API -----------------------------------------------------------------------------------------


def test_the_api_reads_and_sets_the_zone(world: World):
    url = f"/api/v1/workspaces/{world.workspace.slug}/time-zone/"
    viewer = api_client_for(world.viewer, scope="read")
    with time_machine.travel(AUCKLAND_FRIDAY, tick=False):
        assert viewer.get(url).json() == {
            "time_zone": "UTC",
            "today": "2026-05-14",
            "utc_offset": "+00:00",
        }
        admin = api_client_for(world.admin)
        saved = admin.put(url, {"time_zone": "Pacific/Auckland"}, content_type="application/json")
        assert saved.status_code == 200
        assert saved.json() == {
            "time_zone": "Pacific/Auckland",
            "today": "2026-05-15",
            "utc_offset": "+12:00",
        }


def test_the_api_refuses_unknown_zones_and_members(world: World):
    url = f"/api/v1/workspaces/{world.workspace.slug}/time-zone/"
    admin = api_client_for(world.admin)
    refused = admin.put(url, {"time_zone": "Atlantis"}, content_type="application/json")
    assert refused.status_code == 422
    assert "is not a time zone" in refused.content.decode()
    member = api_client_for(world.member)
    body = {"time_zone": "Europe/Berlin"}
    assert member.put(url, body, content_type="application/json").status_code == 403


def test_api_instants_stay_utc_whatever_the_zones(world: World):
    set_zone(world, "Pacific/Auckland")
    timezones.user_time_zone_set(user=world.member.user, name="America/Los_Angeles")
    member = api_client_for(world.member)
    me = member.get("/api/v1/me/").json()
    assert me["time_zone"] == "America/Los_Angeles"
    workspaces = member.get("/api/v1/workspaces/").json()
    assert [w["time_zone"] for w in workspaces] == ["Pacific/Auckland"]
    teams = member.get(f"/api/v1/workspaces/{world.workspace.slug}/teams/").json()
    created = teams["results"][0]["created_at"] if "results" in teams else teams[0]["created_at"]
    assert created.endswith(("Z", "+00:00"))
