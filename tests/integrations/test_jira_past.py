"""A Jira import keeps the past: closed sprints (with their dates) and the issues' history in
them, so velocity and cycle time survive; `expand=changelog` status changes as task history;
attachments copied from a zip of the export (never downloaded from Jira's URLs).

The payload is the real Jira Server capture with a Scrum board's fields
(`fixtures/jira/server_search_scrum.json`, see fixtures/README.md): SAM-1 names a closed
"SAM Sprint 1" (9-20 Nov 2026, legacy sprint string with its completeDate) and the active
"SAM Sprint 2". The test adds to SAM-2 what a finished story of that sprint carries: the same
sprint string, a resolutiondate, a changelog (`expand=changelog`, Jira's own shape) and
attachment objects shaped like `../shared/fixtures/jira/attachment__server_jira_ruby.json`.
The clock is pinned after those sprints (January 2027)."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alignment.models import Team
from attachments.errors import FileTooLarge
from attachments.models import Attachment
from attachments.storage import attachment_storage
from dashboards.metrics import team_metrics
from integrations.importers import jira
from integrations.models import ImportJob, ImportJobFile, ImportStatus
from tasks import selectors
from tasks.models import Sprint, SprintStatus, StateCategory, Task, TaskEvent, TaskEventKind
from tests.factories.attachments import png_bytes

FIXTURES = Path(__file__).parent / "fixtures"
AFTER_THE_SPRINTS = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.parametrize("pinned_now", [AFTER_THE_SPRINTS], indirect=True)

ATTACHMENT = {  # attachment__server_jira_ruby.json, as a search result's `attachment` entry
    "self": "http://localhost:2990/jira/rest/api/2/attachment/10000",
    "id": "10000",
    "filename": "ballmer.png",
    "author": {"name": "admin", "displayName": "admin", "active": True},
    "created": "2012-01-11T10:54:50.875+1300",
    "size": 15360,
    "mimeType": "image/png",
    "content": "http://localhost:2990/jira/secure/attachment/10000/ballmer.png",
    "thumbnail": "http://localhost:2990/jira/secure/thumbnail/10000/_thumb_10000.png",
}


def attachment(attachment_id: str, name: str, mime: str) -> dict[str, Any]:
    item = copy.deepcopy(ATTACHMENT)
    item.update(
        id=attachment_id,
        filename=name,
        mimeType=mime,
        self=f"http://localhost:2990/jira/rest/api/2/attachment/{attachment_id}",
        content=f"http://localhost:2990/jira/secure/attachment/{attachment_id}/{name}",
    )
    return item


def history(created: str, old: str, new: str, old_id: str, new_id: str) -> dict[str, Any]:
    """One entry of `changelog.histories` as Jira Server's `expand=changelog` returns it."""
    return {
        "id": created[-8:],
        "author": {"name": "admin", "displayName": "admin", "active": True},
        "created": created,
        "items": [
            {
                "field": "status",
                "fieldtype": "jira",
                "from": old_id,
                "fromString": old,
                "to": new_id,
                "toString": new,
            }
        ],
    }


def scrum_board() -> dict[str, Any]:
    payload = json.loads((FIXTURES / "jira/server_search_scrum.json").read_text())
    issues = {issue["key"]: issue for issue in payload["issues"]}
    sprints = issues["SAM-1"]["fields"]["customfield_10004"]
    sam1 = issues["SAM-1"]["fields"]
    sam1["status"] = {
        "name": "In Progress",
        "statusCategory": {"key": "indeterminate", "name": "In Progress"},
    }
    sam2 = issues["SAM-2"]["fields"]
    sam2.update(
        customfield_10004=[sprints[0]],  # finished in the closed sprint
        customfield_10002=5.0,
        status={"name": "Done", "statusCategory": {"key": "done", "name": "Done"}},
        resolutiondate="2026-11-18T15:00:00.000+0100",
        attachment=[
            ATTACHMENT,
            attachment("10002", "spec.txt", "text/plain"),
            attachment("10001", "notes.txt", "text/plain"),  # not in the zip: stays a link
        ],
    )
    issues["SAM-2"]["changelog"] = {
        "startAt": 0,
        "maxResults": 2,
        "total": 2,
        "histories": [
            history("2026-11-10T10:00:00.000+0100", "Open", "In Progress", "1", "3"),
            history("2026-11-18T15:00:00.000+0100", "In Progress", "Done", "3", "10001"),
        ],
    }
    return payload


def export_zip(payload: dict[str, Any]) -> bytes:
    """The export and its attachments in both layouts the import reads."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("search.json", json.dumps(payload))
        archive.writestr("attachments/SAM-2/ballmer.png", png_bytes())  # saved by hand
        archive.writestr("data/attachments/SAM/10000/SAM-2/10002", b"The spec, in words.\n")
        archive.writestr("__MACOSX/._search.json", b"junk")
    return buffer.getvalue()


@pytest.fixture
def no_outbound(monkeypatch):
    """Any HTTP request made by the import fails the test (attachments are never fetched)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("The import made an outbound request.")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    monkeypatch.setattr("urllib.request.urlopen", refuse)


def upload(client, world, data: bytes, name: str) -> ImportJob:
    url = reverse("integrations:import_jira_upload", kwargs={"slug": world.workspace.slug})
    response = client.post(url, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 303, response.content.decode()[-1500:]
    return ImportJob.objects.for_workspace(world.workspace).latest("pk")


def commit(client, world, job: ImportJob, capture) -> ImportJob:
    kwargs = {"slug": world.workspace.slug, "import_job_id": job.pk}
    with capture(execute=True):
        response = client.post(reverse("integrations:import_commit", kwargs=kwargs))
    assert response.status_code == 303
    job.refresh_from_db()
    return job


def task(world, key: str) -> Task:
    found = selectors.task_by_key(world.workspace, key)
    assert found is not None, key
    return found


def test_closed_sprints_come_back_closed_and_velocity_survives(
    world, admin_client, no_outbound, django_capture_on_commit_callbacks
):
    job = upload(admin_client, world, json.dumps(scrum_board()).encode(), "search.json")
    preview_url = reverse(
        "integrations:import_preview",
        kwargs={"slug": world.workspace.slug, "import_job_id": job.pk},
    )
    html = admin_client.get(preview_url).content.decode()
    assert (
        "Closed sprints recreated with their history: SAM · SAM Sprint 1 (9 Nov–20 Nov 2026)"
        in html
    )
    job = commit(admin_client, world, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.errors

    team = Team.objects.get(workspace=world.workspace, key="SAM")
    sprints = {s.name: s for s in Sprint.objects.for_workspace(world.workspace).filter(team=team)}
    closed = sprints["SAM Sprint 1"]
    assert closed.status == SprintStatus.CLOSED
    assert (closed.start_date, closed.end_date) == (date(2026, 11, 9), date(2026, 11, 20))
    assert closed.closed_at == datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # its completeDate
    assert sprints["SAM Sprint 2"].status == SprintStatus.ACTIVE

    done, carried = task(world, "SAM-2"), task(world, "SAM-1")
    assert done.sprint == closed  # a close leaves finished work in its sprint
    assert carried.sprint == sprints["SAM Sprint 2"]
    # Jira's created date, and the changelog's start and finish (cycle time is Jira's).
    assert done.created_at == datetime(2014, 7, 18, 16, 30, 43, tzinfo=UTC)
    assert done.started_at == datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    assert done.completed_at == datetime(2026, 11, 18, 14, 0, tzinfo=UTC)

    metrics = team_metrics(team, now=AFTER_THE_SPRINTS, benchmarks=[])
    [flow] = [f for f in metrics["sprints"] if f["name"] == "SAM Sprint 1"]
    assert (flow["committed_points"], flow["completed_points"]) == (8.0, 5.0)
    assert (flow["carried_count"], flow["carried_points"]) == (1, 3.0)
    assert metrics["velocity"] == {"points": [5.0], "average": 5.0, "sprints": 1}
    # Cycle time reads started_at/completed_at, which are Jira's (asserted above).

    events = TaskEvent.objects.filter(task=done).order_by("created_at", "pk")
    states = [
        (e.kind, e.state_category, e.sprint_id, e.created_at.date())
        for e in events
        if e.created_at < AFTER_THE_SPRINTS
    ]
    assert states == [
        (TaskEventKind.CREATED, StateCategory.UNSTARTED, None, date(2014, 7, 18)),
        (TaskEventKind.SPRINT, StateCategory.UNSTARTED, closed.pk, date(2026, 11, 9)),
        (TaskEventKind.STATE, StateCategory.STARTED, closed.pk, date(2026, 11, 10)),
        (TaskEventKind.STATE, StateCategory.DONE, closed.pk, date(2026, 11, 18)),
    ]
    page = admin_client.get(
        reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": "SAM-2"})
    )
    assert "State: In Progress → Done (via Jira)" in page.content.decode()


def test_attachments_in_the_zip_are_stored_and_linked_ones_stay_links(
    world, admin_client, no_outbound, django_capture_on_commit_callbacks
):
    job = upload(admin_client, world, export_zip(scrum_board()), "jira-export.zip")
    assert job.file_name == "search.json"
    assert sorted(ImportJobFile.objects.filter(job=job).values_list("path", flat=True)) == [
        "attachments/SAM-2/ballmer.png",
        "data/attachments/SAM/10000/SAM-2/10002",
    ]
    checked = jira.preview(job)
    [sam2] = [i for i in checked.issues if i.key == "SAM-2"]
    assert [a.name for a in sam2.attachments] == ["ballmer.png", "spec.txt"]
    assert checked.attachments == [
        ("SAM-2", "notes.txt", "http://localhost:2990/jira/secure/attachment/10001/notes.txt")
    ]
    assert any("1 attachment(s) are not in the upload, only linked" in n for n in sam2.notes)

    job = commit(admin_client, world, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.errors
    done = task(world, "SAM-2")
    stored = {
        a.name: a for a in Attachment.objects.for_workspace(world.workspace).filter(task=done)
    }
    assert set(stored) == {"ballmer.png", "spec.txt"}
    assert stored["ballmer.png"].content_type == "image/png"  # sniffed, as any upload
    with attachment_storage().open(stored["ballmer.png"].storage_key) as handle:
        assert handle.read() == png_bytes()
    assert stored["spec.txt"].uploaded_by == world.admin.user
    assert (
        "- [notes.txt](http://localhost:2990/jira/secure/attachment/10001/notes.txt)"
        in done.description
    )

    # The same zip again: every issue was imported before, so nothing is written twice.
    again = upload(admin_client, world, export_zip(scrum_board()), "jira-export.zip")
    assert jira.preview(again).is_everything_imported
    kwargs = {"slug": world.workspace.slug, "import_job_id": again.pk}
    response = admin_client.post(reverse("integrations:import_commit", kwargs=kwargs))
    assert response.status_code == 409  # refused: nothing left to import
    assert Attachment.objects.for_workspace(world.workspace).count() == 2
    assert Sprint.objects.for_workspace(world.workspace).filter(name="SAM Sprint 1").count() == 1


def test_a_refused_attachment_rolls_back_sprints_history_and_files(
    world, admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(**kwargs: Any) -> None:
        raise FileTooLarge(name="ballmer.png", size="2 GB", limit="25 MB")

    monkeypatch.setattr("integrations.importers.jira_write_past.attachments_add", refuse)
    job = upload(admin_client, world, export_zip(scrum_board()), "jira-export.zip")
    job = commit(admin_client, world, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.FAILED
    assert "ballmer.png is larger" in json.dumps(job.errors) or job.errors
    assert not Task.objects.for_workspace(world.workspace).filter(team__key="SAM").exists()
    assert not Sprint.objects.for_workspace(world.workspace).filter(team__key="SAM").exists()
    assert not Attachment.objects.for_workspace(world.workspace).exists()


def test_an_oversized_file_in_the_zip_stays_a_link_with_a_warning(world, admin_client, settings):
    settings.ATTACHMENTS_MAX_BYTES = 10
    job = upload(admin_client, world, export_zip(scrum_board()), "jira-export.zip")
    [sam2] = [i for i in jira.preview(job).issues if i.key == "SAM-2"]
    assert sam2.attachments == []
    assert (
        "Attachment ballmer.png is not stored (it is larger than 10\xa0bytes): linked."
        in sam2.notes
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.json": b"{}", "b.json": b"{}"}, "Put exactly one Jira export"),
        ({"attachments/X-1/a.png": b"x"}, "this zip has 0 at the top"),
    ],
)
def test_a_zip_without_exactly_one_export_is_refused_with_the_reason(
    world, admin_client, files, message
):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    url = reverse("integrations:import_jira_upload", kwargs={"slug": world.workspace.slug})
    response = admin_client.post(url, {"file": SimpleUploadedFile("x.zip", buffer.getvalue())})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ImportJob.objects.for_workspace(world.workspace).exists()


def test_a_closed_sprint_without_dates_is_noted_not_guessed(world):
    payload = scrum_board()
    fields = payload["issues"][2]["fields"]
    fields["customfield_10004"] = [
        "com.atlassian.greenhopper.service.sprint.Sprint@1[id=1,rapidViewId=1,state=CLOSED,"
        "name=Old,goal=,startDate=<null>,endDate=<null>,completeDate=<null>,sequence=1]"
    ]
    job = ImportJob.objects.create(
        workspace=world.workspace,
        kind="jira",
        source=json.dumps(payload),
        created_by=world.admin.user,
    )
    checked = jira.preview(job)
    [sam1] = [i for i in checked.issues if i.key == "SAM-1"]
    assert "Closed sprint “Old” has no dates: its history is not recreated." in sam1.notes
    assert [name for _, s in checked.closed_sprints for name in [s.name]] == ["SAM Sprint 1"]


def test_a_csv_export_in_a_zip_brings_its_attachment_and_a_closed_sprint_with_given_dates(
    world, admin_client, no_outbound, django_capture_on_commit_callbacks
):
    from integrations.importers import jira_csv
    from tests.integrations.test_jira_csv_import import mapping_post

    board = (FIXTURES / "jira_board.csv").read_bytes()
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Jira.csv", board)
        archive.writestr("attachments/ED-1/picture.jpg", jpeg)  # the CSV's "Attachment" cell
    job = upload(admin_client, world, buffer.getvalue(), "jira-csv.zip")
    choices = jira_csv.choices(world.workspace, job.source)
    closed = [name for name, guess in choices.sprints.items() if not guess["open"]]
    assert closed == ["Sprint 6"]  # left behind by ED-1, finished with EX-3
    changes = {}
    for i, name in enumerate(choices.sprints):
        if name in closed:  # a closed sprint, given the dates the CSV does not carry
            changes[f"sprint_{i}_start"], changes[f"sprint_{i}_end"] = "2026-11-09", "2026-11-20"
    mapping_url = reverse(
        "integrations:import_mapping",
        kwargs={"slug": world.workspace.slug, "import_job_id": job.pk},
    )
    assert admin_client.post(mapping_url, mapping_post(job, **changes)).status_code == 303
    job = commit(admin_client, world, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.errors
    [stored] = Attachment.objects.for_workspace(world.workspace)
    assert (stored.name, stored.content_type) == ("picture.jpg", "image/jpeg")
    assert stored.task == task(world, "ED-1")  # the Jira key leads to the task it was stored on
    recreated = Sprint.objects.for_workspace(world.workspace).filter(status=SprintStatus.CLOSED)
    assert sorted(recreated.values_list("name", flat=True)) == sorted(closed)
