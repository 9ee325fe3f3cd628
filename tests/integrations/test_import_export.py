"""CSV export of tasks and OKRs: content, filters, workspace scoping, roles."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.urls import reverse

from okrs.models import ObjectiveLevel
from tests.conftest import client_for
from tests.factories.core import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import TaskFactory


def url(world, name: str, **query: str) -> str:
    path = reverse(f"integrations:{name}", kwargs={"slug": world.workspace.slug})
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return path


def rows_of(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- Tasks ------------------------------------------------------------------------------


def test_task_export_streams_one_row_per_task(world, viewer_client):
    task = TaskFactory(
        team=world.team, title='Fix "login", fast', assignee=world.member.user, estimate=3
    )
    response = viewer_client.get(url(world, "export_tasks"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="acme-inc-tasks-')
    [row] = rows_of(response)
    assert row["key"] == task.key
    assert row["title"] == 'Fix "login", fast'
    assert row["team"] == "ENG"
    assert row["assignee_email"] == "member@acme.example.com"
    assert row["estimate"] == "3.0"


def test_task_export_filters_by_team_key(world, viewer_client):
    TaskFactory(team=world.team)
    design = TeamFactory(workspace=world.workspace, key="DES")
    kept = TaskFactory(team=design)
    rows = rows_of(viewer_client.get(url(world, "export_tasks", team="des")))
    assert [row["key"] for row in rows] == [kept.key]


def test_task_export_leaves_out_other_workspaces_tasks(world, world_b, viewer_client):
    mine = TaskFactory(team=world.team)
    TaskFactory(team=world_b.team, title="Globex secret")
    rows = rows_of(viewer_client.get(url(world, "export_tasks")))
    assert [row["title"] for row in rows] == [mine.title]


def test_task_export_with_another_workspaces_team_key_is_404(world, world_b, viewer_client):
    TeamFactory(workspace=world_b.workspace, key="GLX")
    assert viewer_client.get(url(world, "export_tasks", team="GLX")).status_code == 404


def test_task_export_is_refused_to_non_members(world_b, world):
    outsider = client_for(world_b.member.user)
    assert outsider.get(url(world, "export_tasks")).status_code == 404


# --- OKRs -------------------------------------------------------------------------------


def test_okr_export_has_one_row_per_key_result(world, viewer_client):
    period = PeriodFactory(workspace=world.workspace, name="Q3")
    objective = ObjectiveFactory(
        period=period, team=world.team, owner=world.admin.user, title="Ship faster"
    )
    first = KeyResultFactory(objective=objective, title="Cut lead time", target=Decimal("100"))
    second = KeyResultFactory(objective=objective, title="Raise deploys", baseline=Decimal("2.5"))
    rows = rows_of(viewer_client.get(url(world, "export_okrs")))
    assert [(r["objective"], r["key_result_id"], r["key_result"]) for r in rows] == [
        ("Ship faster", str(first.pk), "Cut lead time"),
        ("Ship faster", str(second.pk), "Raise deploys"),
    ]
    assert rows[0]["period"] == "Q3"
    assert rows[0]["team"] == "ENG"
    assert rows[0]["objective_owner_email"] == "admin@acme.example.com"
    assert rows[0]["target"] == "100"
    assert rows[1]["baseline"] == "2.5"


def test_okr_export_keeps_an_objective_without_key_results(world, viewer_client):
    ObjectiveFactory(
        period=PeriodFactory(workspace=world.workspace),
        level=ObjectiveLevel.COMPANY,
        title="Be loved",
    )
    [row] = rows_of(viewer_client.get(url(world, "export_okrs")))
    assert (row["objective"], row["team"], row["key_result_id"]) == ("Be loved", "", "")


def test_okr_export_filters_by_period(world, viewer_client):
    kept = PeriodFactory(workspace=world.workspace)
    ObjectiveFactory(period=PeriodFactory(workspace=world.workspace), title="Other quarter")
    ObjectiveFactory(period=kept, title="This quarter")
    rows = rows_of(viewer_client.get(url(world, "export_okrs", period=str(kept.pk))))
    assert [row["objective"] for row in rows] == ["This quarter"]


def test_okr_export_filters_by_team(world, viewer_client):
    period = PeriodFactory(workspace=world.workspace)
    ObjectiveFactory(period=period, title="Someone else's")
    ObjectiveFactory(period=period, team=world.team, title="Engineering's")
    rows = rows_of(viewer_client.get(url(world, "export_okrs", team="ENG")))
    assert [row["objective"] for row in rows] == ["Engineering's"]


def test_okr_export_leaves_out_other_workspaces_objectives(world, world_b, viewer_client):
    ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace), title="Globex plan")
    assert rows_of(viewer_client.get(url(world, "export_okrs"))) == []


def test_okr_export_with_another_workspaces_period_is_404(world, world_b, viewer_client):
    theirs = PeriodFactory(workspace=world_b.workspace)
    response = viewer_client.get(url(world, "export_okrs", period=str(theirs.pk)))
    assert response.status_code == 404


def test_okr_export_with_a_malformed_period_is_400(world, viewer_client):
    response = viewer_client.get(url(world, "export_okrs", period="q3"))
    assert response.status_code == 400


def test_export_page_lists_the_workspaces_teams_only(world, world_b, viewer_client):
    TeamFactory(workspace=world_b.workspace, key="GLX")
    response = viewer_client.get(url(world, "export_index"))
    assert response.status_code == 200
    assert b'value="ENG"' in response.content
    assert b'value="GLX"' not in response.content


def test_exports_refuse_writes(world, admin_client):
    assert admin_client.post(url(world, "export_tasks")).status_code == 405
