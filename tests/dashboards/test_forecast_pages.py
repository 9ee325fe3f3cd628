"""Forecasts where people read them: the pages, the trend band and the API agree."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dashboards import forecasting, freshness, rollups
from readmodel.models import Forecast
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan
from tests.dashboards.test_forecasts import history

pytestmark = pytest.mark.django_db


def api(plan: Plan, path: str = "forecasts/") -> str:
    return f"/api/v1/workspaces/{plan.world.workspace.slug}/{path}"


def test_the_objective_page_shows_the_same_forecast_as_the_api(
    plan: Plan, today, owner_client, viewer_api
):
    history(plan, "key_result", plan.manual.pk, today, 0.5)
    history(plan, "objective", plan.team_objective.pk, today, 0.5)
    page = owner_client.get(
        reverse("okrs:objective_detail", args=[plan.world.workspace.slug, plan.team_objective.pk])
    )
    html = page.content.decode()
    shown = re.search(
        rf'data-forecast="key_result-{plan.manual.pk}"[^>]*>\s*Forecast: <strong>(\d+)%</strong>',
        html,
    )
    assert shown, "the key result row shows its forecast"
    body = viewer_api.get(api(plan), {"kind": "key_result", "node_id": plan.manual.pk}).json()
    (row,) = body["results"]
    assert int(shown.group(1)) == round(row["probability"] * 100)
    assert row["status"] == "ready"
    assert row["deadline"] == plan.period.end.isoformat()
    # The KR's trend chart draws the band and says what it shows.
    assert 'class="area area-forecast"' in html
    assert "Forecast from its own pace" in html


def test_no_history_reads_as_such_on_the_page(plan: Plan, owner_client):
    page = owner_client.get(
        reverse("okrs:objective_detail", args=[plan.world.workspace.slug, plan.team_objective.pk])
    )
    assert "not enough history yet" in page.content.decode()


def test_the_sprint_and_item_pages_show_their_forecast(plan: Plan, owner_client, today):
    history(plan, "roadmap_item", plan.item_a.pk, today, 0.3)
    plan.task(item=plan.item_a, estimate="3", category=C.UNSTARTED, sprint=plan.sprint)
    slug = plan.world.workspace.slug
    item = owner_client.get(
        reverse("roadmaps:item", args=[slug, plan.item_a.roadmap_id, plan.item_a.pk])
    ).content.decode()
    assert f'data-forecast="roadmap_item-{plan.item_a.pk}"' in item
    sprint = owner_client.get(
        reverse("tasks:sprint", args=[slug, plan.team.pk, plan.sprint.pk])
    ).content.decode()
    assert f'data-forecast="sprint-{plan.sprint.pk}"' in sprint


def test_the_api_refuses_unknown_kinds_and_lists_every_forecast(plan: Plan, viewer_api, today):
    bad = viewer_api.get(api(plan), {"kind": "team"})
    assert bad.status_code == 400
    assert "kind" in str(bad.json())
    rollups.recompute_all(plan.world.workspace)
    forecasting.refresh_stale(plan.world.workspace.pk, today=today)
    body = viewer_api.get(api(plan)).json()
    assert len(body["results"]) == Forecast.objects.count() > 0
    one = body["results"][0]
    pk = Forecast.objects.get(kind=one["kind"], node_id=one["node_id"]).pk
    detail = viewer_api.get(api(plan, f"forecasts/{pk}/"))
    assert detail.status_code == 200
    assert detail.json() == one


def test_the_leader_dashboard_groups_likely_misses_with_the_forecasts_words(
    plan: Plan, today, viewer_client
):
    history(plan, "key_result", plan.manual.pk, today, 0.5)
    rollups.recompute_all(plan.world.workspace)
    freshness.refresh_now(plan.world.workspace.pk)  # the nightly job, after the snapshots
    html = viewer_client.get(
        reverse("dashboards:leader", kwargs={"slug": plan.world.workspace.slug})
    ).content.decode()
    assert "Likely to miss" in html
    forecast = Forecast.objects.get(kind="key_result", node_id=plan.manual.pk)
    assert f"a {round(float(forecast.probability) * 100)}% chance of reaching its target" in html
