"""Task and OKR exports never hand a spreadsheet a formula, and still import back exactly."""

from __future__ import annotations

import csv
import io

from integrations.models import ImportStatus
from okrs.models import KeyResult, Objective
from tasks.models import Task
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory
from tests.factories.work import TaskFactory
from tests.integrations.okr_import_steps import commit, upload_and_map
from tests.integrations.test_import_export import draft, job_url
from tests.integrations.test_import_export import url as export_url

EVIL = '=HYPERLINK("http://evil","x")'


def download(client, world, name: str) -> str:
    response = client.get(export_url(world, name))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_task_export_quotes_titles_a_spreadsheet_would_run(world, viewer_client):
    TaskFactory(team=world.team, title=EVIL)
    TaskFactory(team=world.team, title="@SUM(A1)")
    TaskFactory(team=world.team, title="Plain, ordinary")
    titles = [row["title"] for row in rows(download(viewer_client, world, "export_tasks"))]
    assert titles == [f"'{EVIL}", "'@SUM(A1)", "Plain, ordinary"]


def test_okr_export_quotes_objective_and_key_result_titles(world, viewer_client, quarter):
    objective = ObjectiveFactory(period=quarter, title="=1+2", team=world.team)
    KeyResultFactory(objective=objective, title="+cmd|' /C calc'!A0", baseline=-5, target=10)
    [row] = rows(download(viewer_client, world, "export_okrs"))
    assert row["objective"] == "'=1+2"
    assert row["key_result"] == "'+cmd|' /C calc'!A0"
    assert row["baseline"] == "-5"  # a plain number stays a number


def test_an_okr_export_with_formula_like_titles_imports_back_exactly(
    world, admin_client, quarter, django_capture_on_commit_callbacks
):
    objective = ObjectiveFactory(period=quarter, title="=1+2", team=world.team, owner=None)
    KeyResultFactory(
        objective=objective, title="-negative idea", baseline=-5, target=10, owner=None
    )
    ObjectiveFactory(
        period=quarter, title="'=already quoted", team=world.team, parent=objective, owner=None
    )
    text = download(admin_client, world, "export_okrs")
    KeyResult.objects.all().delete()
    Objective.objects.all().delete()
    job = upload_and_map(admin_client, world, text)
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    restored = Objective.objects.for_workspace(world.workspace).get(title="=1+2")
    assert [kr.title for kr in restored.key_results.all()] == ["-negative idea"]
    assert restored.key_results.get().baseline == -5
    child = Objective.objects.for_workspace(world.workspace).get(parent=restored)
    assert child.title == "'=already quoted"


def test_a_task_export_with_formula_like_titles_imports_back_exactly(
    world, admin_client, django_capture_on_commit_callbacks
):
    TaskFactory(team=world.team, title="-negative idea")
    TaskFactory(team=world.team, title=EVIL)
    text = download(admin_client, world, "export_tasks")
    Task.objects.all().delete()
    job = draft(world, text.encode("utf-8"))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(job_url(world, "import_commit", job))
    assert response.status_code == 303
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    titles = list(
        Task.objects.for_workspace(world.workspace)
        .order_by("number")
        .values_list("title", flat=True)
    )
    assert titles == ["-negative idea", EVIL]
