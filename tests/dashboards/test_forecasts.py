"""Forecasts stored next to the read model: inputs, freshness, findings and one truth."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboards import forecasting, freshness, rollups
from dashboards.models import Finding, Snapshot
from dashboards.reasons import Names, finding_sentence
from okrs.services.key_results import key_result_check_in
from readmodel.forecasts import forecasts_for
from readmodel.models import Forecast, ForecastStatus
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan

pytestmark = pytest.mark.django_db

# A key result's share per day over 21 days: about 1 point a day with setbacks and bursts.
PACE = [0.02, 0.0, 0.01, 0.0, 0.03, -0.01, 0.0, 0.01, 0.02, 0.0, 0.0, 0.01, 0.04, 0.0, 0.01]


def history(plan: Plan, kind: str, node_id: int, today, end_value: float, pace=PACE) -> None:
    """Daily snapshots ending yesterday at `end_value`, moving by `pace` per day."""
    value = end_value
    days = []
    for back, step in enumerate(reversed(pace), start=1):
        days.append((today - timedelta(days=back), value))
        value -= step
    Snapshot.objects.bulk_create(
        Snapshot(
            workspace=plan.world.workspace,
            kind=kind,
            node_id=node_id,
            day=day,
            progress=Decimal(str(round(min(max(v, 0), 1), 4))),
        )
        for day, v in days
    )


def test_a_key_result_forecast_reads_its_own_pace(plan: Plan, today):
    history(plan, "key_result", plan.manual.pk, today, 0.5)
    found = forecasts_for(plan.world.workspace.pk, {"key_result": [plan.manual.pk]}, today=today)
    forecast = found[("key_result", plan.manual.pk)]
    assert forecast.status == ForecastStatus.READY
    assert forecast.deadline == plan.period.end
    # 0.5 left at about 0.01 a day with 46 days to go: probably short, but not hopeless.
    assert 0 < forecast.probability < 0.5
    assert 0.5 < forecast.p85_value <= forecast.p50_value < 1
    assert forecast.p50_date is None or forecast.p50_date > plan.period.end
    assert forecast.band
    assert forecast.band[-1][0] == plan.period.end.isoformat()
    assert all(lo <= mid <= hi for _, lo, mid, hi in forecast.band)
    assert forecast.history_days == len(PACE)


def test_a_current_forecast_is_read_not_recomputed_and_a_check_in_recomputes_it(plan: Plan, today):
    history(plan, "key_result", plan.manual.pk, today, 0.5)
    ws = plan.world.workspace.pk
    first = forecasts_for(ws, {"key_result": [plan.manual.pk]}, today=today)
    with CaptureQueriesContext(connection) as queries:
        again = forecasts_for(ws, {"key_result": [plan.manual.pk]}, today=today)
    assert again == first
    assert len(queries) <= 3
    key_result_check_in(actor=plan.world.owner, key_result=plan.manual, value=Decimal("90"))
    moved = forecasts_for(ws, {"key_result": [plan.manual.pk]}, today=today)
    forecast = moved[("key_result", plan.manual.pk)]
    assert forecast.progress == pytest.approx(0.9)
    assert forecast.probability > first[("key_result", plan.manual.pk)].probability


def test_no_history_says_so_instead_of_a_date(plan: Plan, today):
    found = forecasts_for(plan.world.workspace.pk, {"key_result": [plan.manual.pk]}, today=today)
    forecast = found[("key_result", plan.manual.pk)]
    assert forecast.status == ForecastStatus.NOT_ENOUGH_HISTORY
    assert (forecast.probability, forecast.p50_date, forecast.p85_date) == (None, None, None)


def test_an_active_sprint_is_forecast_from_its_teams_done_points_per_day(plan: Plan, today):
    for back in range(1, forecasting.LOOKBACK_DAYS + 1):
        task = plan.task(item=None, estimate="3", category=C.DONE)
        task.completed_at = timezone.make_aware(
            datetime.combine(today - timedelta(days=back), time(12))
        )
        task.save(update_fields=["completed_at"])
    for _ in range(4):
        plan.task(item=plan.item_a, estimate="2", category=C.UNSTARTED, sprint=plan.sprint)
    key = ("sprint", plan.sprint.pk)
    forecast = forecasts_for(plan.world.workspace.pk, {"sprint": [plan.sprint.pk]}, today=today)[
        key
    ]
    # 8 points left at 3 points every day: done on the third day, certainly before the end.
    assert (forecast.unit, forecast.status, forecast.probability) == ("points", "ready", 1.0)
    assert forecast.p85_date == today + timedelta(days=2)
    closed = forecasts_for(plan.world.workspace.pk, {"sprint": [plan.next_sprint.pk]}, today=today)[
        ("sprint", plan.next_sprint.pk)
    ]
    assert closed.status == ForecastStatus.CLOSED


def test_likely_to_miss_findings_say_what_the_forecast_says(plan: Plan, today):
    history(plan, "key_result", plan.manual.pk, today, 0.5)
    rollups.recompute_all(plan.world.workspace)
    freshness.refresh_now(plan.world.workspace.pk)
    finding = Finding.objects.get(code="likely_to_miss", subject_id=plan.manual.pk)
    forecast = Forecast.objects.get(kind="key_result", node_id=plan.manual.pk)
    assert finding.numbers["probability"] == pytest.approx(float(forecast.probability))
    assert finding.severity in ("at_risk", "off_track")
    names = Names.load(plan.world.workspace, [("key_result", plan.manual.pk)])
    sentence = finding_sentence(finding, names)
    assert f"{round(float(forecast.probability) * 100)}% chance" in sentence
    assert f"{plan.period.end:%d %b %Y}" in sentence
    # Once the pace is enough, the finding goes with the next refresh.
    key_result_check_in(actor=plan.world.owner, key_result=plan.manual, value=Decimal("99"))
    freshness.refresh_now(plan.world.workspace.pk)
    assert not Finding.objects.filter(code="likely_to_miss", subject_id=plan.manual.pk).exists()


def test_the_workspace_refresh_recomputes_only_what_moved_and_drops_what_is_gone(plan: Plan, today):
    ws = plan.world.workspace.pk
    rollups.recompute_all(plan.world.workspace)  # what the events of a real world have done
    written = forecasting.refresh_stale(ws, today=today)
    assert written == Forecast.objects.filter(workspace_id=ws).count() > 0
    assert forecasting.refresh_stale(ws, today=today) == 0
    assert forecasting.refresh_stale(ws, today=today + timedelta(days=1)) == written
    plan.item_loose.delete()
    forecasting.refresh_stale(ws, today=today + timedelta(days=1))
    assert not Forecast.objects.filter(kind="roadmap_item", node_id=plan.item_loose.pk).exists()
