"""Arrangeable dashboards: the widget registry, layouts per person and per team, the arrange
steps of the pages, the layout API with its ETags, and fewer queries for fewer widgets."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from alignment.errors import FieldErrors
from alignment.models import Team
from dashboards import layouts, selectors
from dashboards import widgets as registry
from dashboards.models import DashboardLayout
from tests.conftest import World, api_client_for, client_for
from tests.dashboards.conftest import Plan
from tests.dashboards.test_demo import company  # noqa: F401 - fixture
from tests.dashboards.test_views import busy, materialize  # noqa: F401 - fixture
from tests.factories import TeamFactory
from tests.querycount import count_queries

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def team_url(world: World, name: str = "team", team_id: int | None = None) -> str:
    return reverse(
        f"dashboards:{name}",
        kwargs={"slug": world.workspace.slug, "team_id": team_id or world.team.pk},
    )


def leader_url(world: World, name: str = "leader") -> str:
    return reverse(f"dashboards:{name}", kwargs={"slug": world.workspace.slug})


def shown(html: str) -> list[str]:
    """The widget keys a page shows, in order."""
    return re.findall(r'data-widget="([a-z_]+)"', html)


# ---- registry ---------------------------------------------------------------------------------


def test_an_unknown_widget_is_refused_with_the_keys_to_choose_from():
    with pytest.raises(FieldErrors) as refused:
        registry.validate(registry.TEAM, ["burndown", "pie_chart"])
    message = refused.value.fields["widgets"][0]
    assert message.startswith("Unknown widget 'pie_chart' for the team dashboard; choose from:")
    assert "cumulative_flow" in message


def test_a_widget_shown_twice_is_refused():
    with pytest.raises(FieldErrors) as refused:
        registry.validate(registry.LEADER, ["trend", "teams", "trend"])
    assert refused.value.fields["widgets"] == ["Each widget can be shown once; repeated: trend."]


def test_every_widget_has_a_template_and_loads_known_parts():
    from django.template.loader import get_template

    from dashboards.selectors import LEADER_PARTS, TEAM_PARTS

    for dashboard, parts in ((registry.LEADER, LEADER_PARTS), (registry.TEAM, TEAM_PARTS)):
        for widget in registry.registry(dashboard).values():
            get_template(widget.template)
            # Widgets of other apps (standards) load their own part (widgets.register).
            assert set(widget.parts) <= parts | set(registry.EXTENSION_LOADERS), widget.key


# ---- where a layout comes from ----------------------------------------------------------------


def test_a_person_starts_from_the_team_default_then_keeps_their_own(world: World):
    team = world.team
    mine = layouts.layout_for(
        workspace=world.workspace, user_id=world.member.user_id, dashboard="team", team=team
    )
    assert (mine.keys, mine.source) == (registry.DEFAULTS["team"], layouts.BUILT_IN)

    layouts.layout_default_save(
        actor=world.admin, dashboard="team", team=team, widgets=["burnup", "sprint"]
    )
    mine = layouts.layout_for(
        workspace=world.workspace, user_id=world.member.user_id, dashboard="team", team=team
    )
    assert (mine.keys, mine.source) == (["burnup", "sprint"], layouts.TEAM_DEFAULT)

    layouts.layout_change(
        actor=world.member, dashboard="team", team=team, action="up", widget="sprint"
    )
    layouts.layout_default_save(actor=world.admin, dashboard="team", team=team, widgets=["flow"])
    mine = layouts.layout_for(
        workspace=world.workspace, user_id=world.member.user_id, dashboard="team", team=team
    )
    assert (mine.keys, mine.source) == (["sprint", "burnup"], layouts.PERSONAL)
    other_team = TeamFactory(workspace=world.workspace, name="Design", key="DES")
    theirs = layouts.layout_for(
        workspace=world.workspace, user_id=world.member.user_id, dashboard="team", team=other_team
    )
    assert theirs.source == layouts.BUILT_IN  # a team's default is that team's only


def test_a_team_read_with_its_layouts_has_the_layout_layout_for_answers(world: World):
    """The team page reads the layout rows with the team (layouts.with_team_layouts): the
    same Layout as `layout_for`, with no row, a default, and one's own over the default."""
    team, user_id = world.team, world.member.user_id

    def both() -> tuple[layouts.Layout, layouts.Layout]:
        read = layouts.with_team_layouts(Team.objects.filter(pk=team.pk), user_id=user_id)
        return layouts.team_layout_of(read.get()), layouts.layout_for(
            workspace=world.workspace, user_id=user_id, dashboard="team", team=team
        )

    def seen(layout: layouts.Layout) -> tuple:
        return (
            layout.keys,
            layout.source,
            layout.version,
            layout.default_keys,
            layout.default_version,
        )

    head, expected = both()
    assert seen(head) == seen(expected)
    layouts.layout_default_save(actor=world.admin, dashboard="team", team=team, widgets=["flow"])
    head, expected = both()
    assert seen(head) == seen(expected)
    assert head.source == layouts.TEAM_DEFAULT
    layouts.layout_save(actor=world.member, dashboard="team", team=team, widgets=["burnup"])
    layouts.layout_save(actor=world.admin, dashboard="team", team=team, widgets=["sprint"])
    head, expected = both()
    assert seen(head) == seen(expected)
    assert (head.keys, head.source) == (
        ["burnup"],
        layouts.PERSONAL,
    )


# ---- arranging on the page --------------------------------------------------------------------


def test_removing_a_widget_answers_the_region_without_it_and_the_page_remembers(
    busy: Plan,  # noqa: F811
    viewer_client,
):
    world = busy.world
    response = viewer_client.post(
        team_url(world, "team_layout"), {"action": "remove", "widget": "burndown"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="dashboard-widgets"')
    assert "burndown" not in shown(html)
    assert 'data-announce="Burndown removed."' in html
    page = viewer_client.get(team_url(world)).content.decode()
    assert shown(page) == [k for k in registry.DEFAULTS["team"] if k != "burndown"]
    arrange = viewer_client.get(team_url(world) + "?arrange=1").content.decode()
    menu = arrange.split('id="add-widget-menu"')[1].split("</details>")[0]
    assert 'name="widget" value="burndown"' in menu  # offered back under "Add widget"


def test_moving_a_widget_up_and_down_reorders_the_page(world: World, member_client):
    url = team_url(world, "team_layout")
    member_client.post(url, {"action": "up", "widget": "burnup"}, **HTMX)
    member_client.post(url, {"action": "down", "widget": "sprint"}, **HTMX)
    keys = shown(member_client.get(team_url(world)).content.decode())
    assert keys[:5] == ["objectives", "alignment", "sprint", "burnup", "burndown"]


def test_adding_a_widget_puts_it_last_and_takes_it_off_the_menu(world: World, member_client):
    url = leader_url(world, "leader_layout")
    response = member_client.post(url, {"action": "add", "widget": "dora"}, **HTMX)
    html = response.content.decode()
    assert shown(html)[-1] == "dora"
    assert 'name="widget" value="dora"' not in html.split('class="dash-widgets"')[0]
    assert 'id="dora-table"' in html


def test_without_javascript_an_arrange_step_redirects_back_to_arrange_mode(
    world: World, member_client
):
    response = member_client.post(
        leader_url(world, "leader_layout"), {"action": "remove", "widget": "trend"}
    )
    assert response.status_code == 303
    assert response["Location"] == leader_url(world) + "?arrange=1"
    page = member_client.get(response["Location"]).content.decode()
    assert 'aria-label="Move Company progress up"' in page
    assert "trend" not in shown(page)


def test_reset_brings_back_the_default(world: World, member_client):
    url = team_url(world, "team_layout")
    member_client.post(url, {"action": "remove", "widget": "velocity"}, **HTMX)
    response = member_client.post(url, {"action": "reset"}, **HTMX)
    assert shown(response.content.decode()) == registry.DEFAULTS["team"]
    assert not DashboardLayout.objects.filter(user=world.member.user).exists()


def test_an_unknown_widget_is_422_and_nothing_is_saved(world: World, member_client):
    response = member_client.post(
        team_url(world, "team_layout"), {"action": "add", "widget": "pie_chart"}, **HTMX
    )
    assert response.status_code == 422
    assert "Unknown widget &#x27;pie_chart&#x27;" in response.content.decode()
    assert not DashboardLayout.objects.exists()


def test_an_admin_saves_the_team_default_that_members_start_from(world: World, admin_client):
    admin_client.post(team_url(world, "team_layout"), {"action": "remove", "widget": "flow"})
    response = admin_client.post(team_url(world, "team_layout_default"), {"action": "save"})
    assert response.status_code == 303
    default = DashboardLayout.objects.get(user=None, team=world.team)
    assert "flow" not in default.widgets
    page = client_for(world.viewer.user).get(team_url(world)).content.decode()
    assert "flow" not in shown(page)
    assert (
        "The team's default layout."
        in client_for(world.viewer.user).get(team_url(world) + "?arrange=1").content.decode()
    )


def test_a_member_cannot_save_the_team_default(world: World, member_client):
    response = member_client.post(team_url(world, "team_layout_default"), {"action": "save"})
    assert response.status_code == 403
    assert not DashboardLayout.objects.exists()


def test_arranging_another_workspaces_team_is_404(world: World, world_b: World, member_client):
    response = member_client.post(
        team_url(world, "team_layout", team_id=world_b.team.pk),
        {"action": "remove", "widget": "burndown"},
    )
    assert response.status_code == 404
    assert not DashboardLayout.objects.exists()


# ---- only the shown widgets load --------------------------------------------------------------


def test_fewer_widgets_run_fewer_queries(busy: Plan, member_client):  # noqa: F811
    world = busy.world
    full, _ = count_queries(member_client, team_url(world))
    layouts.layout_save(actor=world.member, dashboard="team", team=world.team, widgets=["burnup"])
    one, sql = count_queries(member_client, team_url(world))
    assert one < full - 3
    assert not any("dashboards_finding" in q for q in sql)
    assert not any("dashboards_snapshot" in q for q in sql)

    full, _ = count_queries(member_client, leader_url(world))
    layouts.layout_save(actor=world.member, dashboard="leader", team=None, widgets=["teams"])
    one, sql = count_queries(member_client, leader_url(world))
    assert one < full - 6
    assert not any("dashboards_finding" in q for q in sql)


# ---- the API ----------------------------------------------------------------------------------


def api_url(world: World, name: str, team_id: int | None = None) -> str:
    kwargs: dict[str, object] = {"slug": world.workspace.slug}
    if team_id is not None:
        kwargs["team_id"] = team_id
    return reverse(name, kwargs=kwargs)


def put(client, url: str, body: dict, **headers: str):
    return client.put(url, json.dumps(body), content_type="application/json", **headers)


def test_api_layout_round_trip_with_etags(world: World):
    client = api_client_for(world.member)
    url = api_url(world, "api-dashboard-layout-team", world.team.pk)
    first = client.get(url)
    assert first["ETag"] == '"v0"'
    assert first.json()["source"] == "built_in"
    saved = put(client, url, {"widgets": ["burnup", "sprint"]}, HTTP_IF_MATCH='"v0"')
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] == '"v1"'
    body = saved.json()
    assert (body["widgets"], body["source"], body["scope"]) == (
        ["burnup", "sprint"],
        "personal",
        "mine",
    )
    assert "burndown" in {w["key"] for w in body["available"]}

    stale = put(client, url, {"widgets": ["flow"]}, HTTP_IF_MATCH='"v0"')
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    conflict = put(client, url, {"widgets": ["flow"], "version": 7})
    assert conflict.status_code == 409
    assert DashboardLayout.objects.get().widgets == ["burnup", "sprint"]

    assert client.delete(url).status_code == 204
    assert client.get(url).json()["source"] == "built_in"


def test_api_refuses_unknown_and_repeated_widgets_with_422(world: World):
    client = api_client_for(world.member)
    url = api_url(world, "api-dashboard-layout-leader")
    unknown = put(client, url, {"widgets": ["trend", "weather"]})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"]["widgets"][0].startswith(
        "Unknown widget 'weather' for the leader dashboard; choose from: progress, trend"
    )
    repeated = put(client, url, {"widgets": ["trend", "trend"]})
    assert repeated.status_code == 422
    not_a_list = put(client, url, {"widgets": "trend"})
    assert not_a_list.status_code == 400
    assert not DashboardLayout.objects.exists()


def test_api_default_layout_is_for_admins_to_write(world: World):
    url = api_url(world, "api-dashboard-layout-team-default", world.team.pk)
    refused = put(api_client_for(world.member), url, {"widgets": ["burnup"]})
    assert refused.status_code == 403
    saved = put(api_client_for(world.admin), url, {"widgets": ["burnup"]})
    assert saved.status_code == 200
    assert saved.json()["source"] == "team_default"
    mine = api_client_for(world.viewer).get(
        api_url(world, "api-dashboard-layout-team", world.team.pk)
    )
    assert (mine.json()["widgets"], mine.json()["source"]) == (["burnup"], "team_default")


def test_api_layout_of_another_workspaces_team_is_404(world: World, world_b: World):
    client = api_client_for(world.member)
    url = api_url(world, "api-dashboard-layout-team", world_b.team.pk)
    assert client.get(url).status_code == 404
    assert put(client, url, {"widgets": ["burnup"]}).status_code == 404
    assert not DashboardLayout.objects.exists()


# ---- the demo ---------------------------------------------------------------------------------


def test_the_demo_fills_every_widget_and_its_flow_moves(company):  # noqa: F811
    workspace = company.workspace
    owner = workspace.memberships.filter(role="owner").first()
    client = client_for(owner.user)
    every = list(registry.REGISTRY["leader"])
    layouts.layout_save(actor=owner, dashboard="leader", team=None, widgets=every)
    leader = client.get(reverse("dashboards:leader", kwargs={"slug": workspace.slug}))
    assert shown(leader.content.decode()) == every
    assert 'class="badge tier-' in leader.content.decode().split('id="dora-table"')[1]
    team = next(iter(company.teams.values()))
    html = client.get(
        reverse("dashboards:team", kwargs={"slug": workspace.slug, "team_id": team.pk})
    ).content.decode()
    for empty in (
        "no active sprint",
        "Nothing to draw yet",
        "No closed sprints",
        "appears once",
        "has no objectives in",
    ):
        assert empty not in html, empty
    dash = selectors.team_dashboard(workspace, team, parts={"history"})
    assert dash.flow is not None
    assert len(dash.flow.rows) >= 3
    done = [int(row[1]) for row in dash.flow.rows]
    assert done[-1] > done[0]  # work finishes over the sprint: the bottom band grows


def test_an_admin_clears_the_saved_default(world: World, admin_client):
    layouts.layout_default_save(actor=world.admin, dashboard="leader", team=None, widgets=["teams"])
    page = admin_client.get(leader_url(world) + "?arrange=1").content.decode()
    assert "Clear saved default" in page
    response = admin_client.post(leader_url(world, "leader_layout_default"), {"action": "clear"})
    assert response.status_code == 303
    assert not DashboardLayout.objects.exists()
    viewer_page = client_for(world.viewer.user).get(leader_url(world)).content.decode()
    assert shown(viewer_page) == registry.DEFAULTS["leader"]


def test_without_javascript_a_bad_step_is_a_clear_4xx_not_a_crash(world: World, member_client):
    response = member_client.post(
        team_url(world, "team_layout"), {"action": "sideways", "widget": "burnup"}
    )
    assert 400 <= response.status_code < 500
    assert not DashboardLayout.objects.exists()
