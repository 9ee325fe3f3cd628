"""CSV export of tasks and OKRs: content, filters, workspace scoping, roles."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alignment.errors import FieldErrors
from integrations.importers import csv_tasks
from integrations.models import ImportJob, ImportKind, ImportStatus
from okrs.models import ObjectiveLevel
from tasks.models import Task
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


@pytest.mark.parametrize("period", ["q3", "²", "9" * 40])
def test_okr_export_with_a_malformed_period_is_400(world, viewer_client, period):
    response = viewer_client.get(url(world, "export_okrs"), {"period": period})
    assert response.status_code == 400


def test_export_page_lists_the_workspaces_teams_only(world, world_b, viewer_client):
    TeamFactory(workspace=world_b.workspace, key="GLX")
    response = viewer_client.get(url(world, "export_index"))
    assert response.status_code == 200
    assert b'value="ENG"' in response.content
    assert b'value="GLX"' not in response.content


def queries_to_download(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        b"".join(client.get(path).streaming_content)
    return len(captured)


def test_task_export_queries_do_not_grow_with_tasks(world, viewer_client):
    TaskFactory(team=world.team, assignee=world.member.user)
    queries_to_download(viewer_client, url(world, "export_tasks"))  # warm-up
    one = queries_to_download(viewer_client, url(world, "export_tasks"))
    TaskFactory.create_batch(19, team=world.team, assignee=world.member.user)
    assert queries_to_download(viewer_client, url(world, "export_tasks")) == one


def test_okr_export_queries_do_not_grow_with_objectives(world, viewer_client):
    period = PeriodFactory(workspace=world.workspace)
    KeyResultFactory(objective=ObjectiveFactory(period=period, team=world.team))
    queries_to_download(viewer_client, url(world, "export_okrs"))  # warm-up
    one = queries_to_download(viewer_client, url(world, "export_okrs"))
    for _ in range(19):
        KeyResultFactory(objective=ObjectiveFactory(period=period, team=world.team))
    assert queries_to_download(viewer_client, url(world, "export_okrs")) == one


def test_exports_refuse_writes(world, admin_client):
    assert admin_client.post(url(world, "export_tasks")).status_code == 405


# --- Task import from CSV -----------------------------------------------------------------

GOOD_CSV = (
    b"Summary,Team,Story Points,Assignee,Due date\r\n"
    b"Write the importer,ENG,3,member@acme.example.com,2026-12-01\r\n"
    b"Document it,eng,,,\r\n"
)
BAD_CSV = (
    b"Summary,Team,Story Points,Assignee\r\n"
    b"Fine row,ENG,1,\r\n"
    b"Lost team,NOPE,2,\r\n"
    b"Odd points,ENG,lots,\r\n"
    b"Stranger,ENG,1,ghost@acme.example.com\r\n"
    b",ENG,1,\r\n"
)


def job_url(world, name: str, job: ImportJob) -> str:
    return reverse(
        f"integrations:{name}", kwargs={"slug": world.workspace.slug, "import_job_id": job.pk}
    )


def upload(client, world, data: bytes, name: str = "tasks.csv"):
    return client.post(
        url(world, "import_tasks_upload"), {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


def draft(world, data: bytes = GOOD_CSV, **mapping: str) -> ImportJob:
    text = data.decode("utf-8-sig")
    guessed = csv_tasks.guess_mapping(csv_tasks.header_of(text))
    return ImportJob.objects.create(
        workspace=world.workspace,
        kind=ImportKind.TASKS_CSV,
        file_name="tasks.csv",
        source=text,
        mapping={**guessed, **mapping},
        created_by=world.admin.user,
    )


def test_upload_with_a_byte_order_mark_creates_a_draft_with_guessed_columns(world, admin_client):
    response = upload(admin_client, world, b"\xef\xbb\xbf" + GOOD_CSV)
    job = ImportJob.objects.get()
    assert response.status_code == 303
    assert response["Location"] == job_url(world, "import_mapping", job)
    assert job.status == ImportStatus.DRAFT
    assert job.mapping == {
        "title": "Summary",
        "team": "Team",
        "description": "",
        "estimate": "Story Points",
        "assignee_email": "Assignee",
        "due_date": "Due date",
    }


def test_upload_that_is_not_utf8_is_refused_with_a_clear_error(world, admin_client):
    response = upload(admin_client, world, "Title,Team\r\nCafé,ENG\r\n".encode("latin-1"))
    assert response.status_code == 422
    assert "The file is not UTF-8" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_over_the_size_limit_is_refused(world, admin_client, settings):
    settings.IMPORT_MAX_BYTES = 20
    response = upload(admin_client, world, GOOD_CSV)
    assert response.status_code == 422
    assert f"The file is {len(GOOD_CSV)} bytes; upload at most 20 bytes." in (
        response.content.decode()
    )
    assert ImportJob.objects.count() == 0


def test_upload_with_only_a_header_is_refused(world, admin_client):
    response = upload(admin_client, world, b"Title,Team\r\n")
    assert response.status_code == 422
    assert "The file has a header row but no tasks." in response.content.decode()


def test_members_cannot_upload_imports(world, member_client):
    assert upload(member_client, world, GOOD_CSV).status_code == 403
    assert ImportJob.objects.count() == 0


def test_mapping_post_saves_the_columns_and_goes_to_the_preview(world, admin_client):
    job = draft(world)
    response = admin_client.post(
        job_url(world, "import_mapping", job), {"title": "Team", "team": "Team"}
    )
    job.refresh_from_db()
    assert response.status_code == 303
    assert response["Location"] == job_url(world, "import_preview", job)
    assert job.mapping["title"] == "Team"
    assert job.mapping["estimate"] == ""


def test_preview_shows_each_rows_errors_and_writes_nothing(world, admin_client):
    job = draft(world, BAD_CSV)
    response = admin_client.get(job_url(world, "import_preview", job))
    html = response.content.decode()
    assert response.status_code == 200
    assert "5 rows, 4 with errors." in html
    assert "Unknown team key “NOPE”." in html
    assert "Estimate “lots”: Must be a number of points." in html
    assert "No member of this workspace has the e-mail “ghost@acme.example.com”." in html
    assert "Give the task a title." in html
    assert "import_commit" not in html
    assert "/commit/" not in html
    assert Task.objects.count() == 0


def test_preview_reports_a_missing_title_column(world, admin_client):
    job = draft(world, title="")
    html = admin_client.get(job_url(world, "import_preview", job)).content.decode()
    assert "Choose the column that holds the title." in html


def test_another_workspaces_team_key_and_member_are_unknown(world, world_b):
    TeamFactory(workspace=world_b.workspace, key="GLX")
    data = b"Title,Team,Assignee\r\nA,GLX,\r\nB,ENG,member@globex.example.com\r\n"
    checked = csv_tasks.preview(draft(world, data))
    assert [row.errors for row in checked.rows] == [
        ["Unknown team key “GLX”."],
        ["No member of this workspace has the e-mail “member@globex.example.com”."],
    ]


def test_commit_with_row_errors_is_refused_and_writes_nothing(world, admin_client):
    job = draft(world, BAD_CSV)
    response = admin_client.post(job_url(world, "import_commit", job))
    job.refresh_from_db()
    assert response.status_code == 409
    assert job.status == ImportStatus.DRAFT
    assert Task.objects.count() == 0


def test_commit_creates_every_task_through_the_services(
    world, admin_client, django_capture_on_commit_callbacks
):
    job = draft(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(job_url(world, "import_commit", job))
    job.refresh_from_db()
    assert response.status_code == 303
    assert response["Location"] == job_url(world, "import_progress", job)
    assert (job.status, job.total, job.done) == (ImportStatus.DONE, 2, 2)
    first, second = Task.objects.for_workspace(world.workspace).order_by("number")
    assert (first.key, first.title, first.estimate) == ("ENG-1", "Write the importer", 3)
    assert first.assignee == world.member.user
    assert first.due_date == date(2026, 12, 1)
    assert first.created_by == world.admin.user
    assert (second.title, second.estimate, second.assignee) == ("Document it", None, None)


def test_commit_queues_the_run_only_after_the_transaction_commits(
    world, admin_client, django_capture_on_commit_callbacks
):
    job = draft(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(job_url(world, "import_commit", job))
    job.refresh_from_db()
    assert len(callbacks) == 1
    assert job.status == ImportStatus.QUEUED
    assert Task.objects.count() == 0


def test_a_row_failing_during_the_run_rolls_back_every_row(world, monkeypatch):
    job = draft(world)
    job.status = ImportStatus.QUEUED
    job.save()
    real_create = csv_tasks.task_services.task_create

    def fail_on_second_row(**kwargs):
        if kwargs["title"] == "Document it":
            raise FieldErrors({"title": "Refused for the test."})
        return real_create(**kwargs)

    monkeypatch.setattr(csv_tasks.task_services, "task_create", fail_on_second_row)
    csv_tasks.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"row": 3, "messages": ["Refused for the test."]}]
    assert job.done == 0
    assert Task.objects.count() == 0


def test_running_a_finished_import_again_imports_nothing(world):
    job = draft(world)
    job.status = ImportStatus.QUEUED
    job.save()
    csv_tasks.run(job.pk)
    csv_tasks.run(job.pk)
    assert Task.objects.count() == 2


def test_members_cannot_commit_an_import(world, member_client):
    job = draft(world)
    assert member_client.post(job_url(world, "import_commit", job)).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT
    assert Task.objects.count() == 0


def test_another_workspaces_import_is_404_and_untouched(world, world_b, admin_client):
    theirs = draft(world_b)
    path = reverse(
        "integrations:import_commit",
        kwargs={"slug": world.workspace.slug, "import_job_id": theirs.pk},
    )
    assert admin_client.post(path).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ImportStatus.DRAFT


def test_progress_polls_every_second_while_queued(world, admin_client):
    job = draft(world)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED, total=2)
    html = admin_client.get(job_url(world, "import_progress", job), HTTP_HX_REQUEST="true")
    assert "<html" not in html.content.decode()
    assert 'hx-trigger="every 1s"' in html.content.decode()
    assert "0 of 2 rows" in html.content.decode()


def test_progress_stops_polling_when_done(world, admin_client):
    job = draft(world)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, total=2, done=2)
    html = admin_client.get(job_url(world, "import_progress", job)).content.decode()
    assert "every 1s" not in html
    assert 'width="100"' in html
    assert "2 of 2 rows" in html
