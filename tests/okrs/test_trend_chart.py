"""Objective and KR trend charts: progress per day from the daily snapshots, against the pace
line of the period, with a table view and a CSV of the same numbers."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboards import trends
from dashboards.charts import HEIGHT, LEFT, RIGHT, WIDTH
from dashboards.models import Snapshot
from okrs import progress as okr_math
from okrs.models import KeyResult, Objective, Period
from tests.conftest import World
from tests.factories.okrs import KeyResultFactory
from tests.querycount import assert_flat_queries

pytestmark = pytest.mark.django_db
SLUG = "acme-inc"
TOP, BOTTOM = 14, 28  # dashboards.charts plot margins


def detail_url(objective: Objective) -> str:
    return reverse("okrs:objective_detail", kwargs={"slug": SLUG, "objective_id": objective.pk})


def csv_url(objective: Objective) -> str:
    return reverse(
        "dashboards:objective_trend_export", kwargs={"slug": SLUG, "objective_id": objective.pk}
    )


def snap(workspace, kind: str, node_id: int, day: date, progress: str) -> Snapshot:
    return Snapshot.objects.create(
        workspace=workspace, kind=kind, node_id=node_id, day=day, progress=Decimal(progress)
    )


@pytest.fixture
def snapshots(world: World, objective: Objective, key_result: KeyResult, today: date) -> dict:
    """Three days of the objective and two of its KR, plus rows the charts must leave out."""
    ws = world.workspace
    days = [today - timedelta(days=3), today - timedelta(days=2), today - timedelta(days=1)]
    for day, value in zip(days, ["0.1000", "0.2250", "0.3500"], strict=True):
        snap(ws, "objective", objective.pk, day, value)
    for day, value in zip(days[1:], ["0.0500", "0.4000"], strict=True):
        snap(ws, "key_result", key_result.pk, day, value)
    # Before the period started: not part of this period's trend.
    snap(ws, "objective", objective.pk, objective.period.start - timedelta(days=1), "0.9000")
    return {"days": days}


def figure(html: str, slug: str) -> str:
    return html.split(f'id="chart-{slug}"')[1].split("</figure>")[0]


def table_rows(section: str) -> list[list[str]]:
    body = section.split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("</tr>") if "<td>" in row]


def pace(period: Period, day: date) -> str:
    value = round(
        okr_math.expected_progress(start=period.start, end=period.end, today=day) * 100, 1
    )
    return f"{value:g}"


def test_the_series_is_read_from_the_snapshots_in_one_query(
    world, objective, key_result, snapshots, django_assert_num_queries
):
    period = objective.period
    with django_assert_num_queries(1):
        series = trends.progress_series(
            world.workspace,
            [("objective", objective.pk), ("key_result", key_result.pk), ("key_result", 0)],
            start=period.start,
            end=period.end,
        )

    assert [(p.day, p.percent) for p in series[("objective", objective.pk)]] == list(
        zip(snapshots["days"], [10.0, 22.5, 35.0], strict=True)
    )
    assert [p.percent for p in series[("key_result", key_result.pk)]] == [5.0, 40.0]
    assert series[("key_result", 0)] == []


def test_another_workspaces_snapshot_of_the_same_node_is_not_read(world, world_b, objective, today):
    snap(world_b.workspace, "objective", objective.pk, today, "0.7700")

    series = trends.progress_series(
        world.workspace,
        [("objective", objective.pk)],
        start=objective.period.start,
        end=objective.period.end,
    )

    assert series == {("objective", objective.pk): []}


def test_the_page_draws_each_snapshot_as_a_point_with_its_value(
    viewer_client, objective, key_result, snapshots
):
    html = viewer_client.get(detail_url(objective)).content.decode()

    section = figure(html, f"objective-{objective.pk}-trend")
    day = snapshots["days"][-1]
    assert f"<title>{day:%d %b}: Progress 35%</title>" in section
    assert section.count('class="point series-point"') == 3
    kr_section = figure(html, f"key-result-{key_result.pk}-trend")
    assert f"<title>{day:%d %b}: Progress 40%</title>" in kr_section
    assert kr_section.count('class="point series-point"') == 2


def test_the_expected_pace_runs_from_0_on_the_first_day_to_100_on_the_last(
    world, objective, snapshots, today
):
    period = objective.period
    series = trends.progress_series(
        world.workspace, [("objective", objective.pk)], start=period.start, end=period.end
    )
    trend = trends.trend_chart(
        "t", "it", series[("objective", objective.pk)], start=period.start, end=period.end,
        today=today,
    )  # fmt: skip

    [pace_line] = [s for s in trend.chart.series if s.name == "Expected pace"]
    first, last = pace_line.points
    assert (first.x, first.y) == (LEFT, HEIGHT - BOTTOM)
    assert (last.x, last.y) == (WIDTH - RIGHT, TOP)
    assert first.label == f"{period.start:%d %b}: Expected pace 0%"
    assert last.label == f"{period.end:%d %b}: Expected pace 100%"
    # The last snapshot sits on the day's place along the period, at its value.
    point = trend.chart.series[1].points[-1]
    share = (snapshots["days"][-1] - period.start).days / (period.end - period.start).days
    assert point.x == pytest.approx(LEFT + (WIDTH - LEFT - RIGHT) * share)
    assert point.y == pytest.approx(HEIGHT - BOTTOM - 0.35 * (HEIGHT - TOP - BOTTOM))
    assert "50% by today" in trend.description


def test_the_table_view_lists_the_same_numbers(viewer_client, objective, snapshots):
    html = viewer_client.get(detail_url(objective)).content.decode()

    rows = table_rows(figure(html, f"objective-{objective.pk}-trend"))
    period = objective.period
    assert rows == [
        [day.isoformat(), value, pace(period, day)]
        for day, value in zip(snapshots["days"], ["10", "22.5", "35"], strict=True)
    ]


def test_the_chart_is_described_for_screen_readers(viewer_client, objective, snapshots):
    html = viewer_client.get(detail_url(objective)).content.decode()

    section = figure(html, f"objective-{objective.pk}-trend")
    slug = f"chart-objective-{objective.pk}-trend"
    assert f'aria-labelledby="{slug}-title" aria-describedby="{slug}-desc"' in section
    assert re.search(rf'<desc id="{slug}-desc">3 daily snapshots: 10% on .*, 35% on ', section)
    assert "<summary>Table view</summary>" in section
    assert "style=" not in section


def test_the_csv_lists_the_same_rows_as_the_tables(viewer_client, objective, key_result, snapshots):
    html = viewer_client.get(detail_url(objective)).content.decode()
    response = viewer_client.get(csv_url(objective))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == ["kind", "id", "title", "day", "progress_percent", "expected_percent"]
    objective_rows = table_rows(figure(html, f"objective-{objective.pk}-trend"))
    kr_rows = table_rows(figure(html, f"key-result-{key_result.pk}-trend"))
    assert rows == [
        *(["objective", str(objective.pk), objective.title, *r] for r in objective_rows),
        *(["key_result", str(key_result.pk), key_result.title, *r] for r in kr_rows),
    ]


def test_the_csv_of_one_key_result(viewer_client, objective, key_result, snapshots):
    response = viewer_client.get(csv_url(objective) + f"?key_result={key_result.pk}")

    _, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [(r[0], r[4]) for r in rows] == [("key_result", "5"), ("key_result", "40")]


@pytest.mark.parametrize("value", ["abc", "0", "99999999", "-1", "²"])
def test_a_key_result_not_of_this_objective_is_404_in_the_csv(viewer_client, objective, value):
    response = viewer_client.get(csv_url(objective), {"key_result": value})

    assert response.status_code == 404


def test_another_objectives_key_result_is_404_in_the_csv(viewer_client, world, objective, period):
    from tests.factories.okrs import ObjectiveFactory

    elsewhere = KeyResultFactory(objective=ObjectiveFactory(period=period, team=world.team))

    response = viewer_client.get(csv_url(objective), {"key_result": str(elsewhere.pk)})

    assert response.status_code == 404


def test_the_csv_of_another_workspaces_objective_is_404(viewer_client, world_b):
    from tests.factories.okrs import ObjectiveFactory, PeriodFactory

    other = ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace), team=world_b.team)

    response = viewer_client.get(csv_url(other))

    assert response.status_code == 404


def test_before_the_first_snapshot_the_page_says_when_the_trend_appears(
    viewer_client, objective, key_result
):
    html = viewer_client.get(detail_url(objective)).content.decode()

    section = figure(html, f"objective-{objective.pk}-trend")
    assert "Trend appears after the first daily snapshot." in section
    assert "<svg" not in section
    assert "Trend appears after the first daily snapshot." in figure(
        html, f"key-result-{key_result.pk}-trend"
    )
    assert csv_url(objective) not in html


def test_the_objective_page_query_count_does_not_grow_with_key_results_and_snapshots(
    viewer_client, world, objective, key_result, snapshots, today
):
    def grow() -> None:
        for _ in range(6):
            kr = KeyResultFactory(objective=objective, owner=world.admin.user)
            for offset in range(1, 11):
                snap(world.workspace, "key_result", kr.pk, today - timedelta(days=offset), "0.3")
        viewer_client.get(detail_url(objective))  # no events: this load computes their rows

    assert_flat_queries(viewer_client, detail_url(objective), grow=grow)
