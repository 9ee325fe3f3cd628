"""Jira import from the search API's JSON: Atlassian's published example response, as is and
with the fields an import asks Jira for (summary, status, assignee, story points) added."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alignment.errors import FieldErrors
from alignment.models import Team
from integrations.importers import jira
from integrations.models import ImportJob, ImportKind, ImportStatus
from roadmaps.models import RoadmapItem
from tasks.models import Sprint, StateCategory, Task
from tests.factories.core import TeamFactory
from tests.factories.work import RoadmapFactory, RoadmapItemFactory, SprintFactory
from tests.integrations.conftest import shared_fixtures_dir
from tests.services import CI

FIXTURE = "jira/search__atlassian_docs_example.json"


@pytest.fixture(scope="module")
def search_response() -> dict[str, Any]:
    path: Path = shared_fixtures_dir() / FIXTURE
    if not path.is_file():
        if CI:
            pytest.fail(f"The shared Jira fixture {FIXTURE} is missing under CI=true.")
        pytest.skip(f"The shared Jira fixture {FIXTURE} is not available here.")
    return json.loads(path.read_text())


def enriched(response: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The real response with the fields a `fields=summary,status,…` search would carry."""
    payload = copy.deepcopy(response)
    payload["issues"][0]["fields"].update(
        {
            "summary": "Main order flow broken",
            "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
            "customfield_10016": 5,
            **fields,
        }
    )
    return payload


def upload(client, world, payload: Any, name: str = "search.json"):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    path = reverse("integrations:import_jira_upload", kwargs={"slug": world.workspace.slug})
    return client.post(path, {"file": SimpleUploadedFile(name, data, "application/json")})


def job_url(world, name: str, job: ImportJob) -> str:
    return reverse(
        f"integrations:{name}", kwargs={"slug": world.workspace.slug, "import_job_id": job.pk}
    )


def draft(world, payload: dict[str, Any]) -> ImportJob:
    return ImportJob.objects.create(
        workspace=world.workspace,
        kind=ImportKind.JIRA,
        source=json.dumps(payload),
        created_by=world.admin.user,
    )


def test_the_published_example_uploads_into_a_preview(world, admin_client, search_response):
    response = upload(admin_client, world, search_response)
    job = ImportJob.objects.get()
    assert response.status_code == 303
    assert response["Location"] == job_url(world, "import_preview", job)
    assert job.kind == ImportKind.JIRA


def test_the_published_example_lacks_a_summary_which_is_a_warning_not_an_error(
    world, admin_client, search_response, django_capture_on_commit_callbacks
):
    job = draft(world, search_response)
    html = admin_client.get(job_url(world, "import_preview", job)).content.decode()
    assert "1 issues, 0 with errors, 1 with warnings." in html
    assert "It has no summary: titled by its key." in html
    assert "New teams: <code>EX</code> Example" in html
    assert "Jira said: The value &#x27;bar&#x27; does not exist for the field &#x27;foo&#x27;." in (
        html
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(job_url(world, "import_commit", job))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Task.objects.get().title == "ED-1 (no summary in Jira)"


def test_an_import_with_errors_cannot_be_committed_and_writes_nothing(
    world, admin_client, search_response
):
    payload = copy.deepcopy(search_response)
    del payload["issues"][0]["fields"]["project"]  # no project: no team to go to
    job = draft(world, payload)
    assert admin_client.post(job_url(world, "import_commit", job)).status_code == 409
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT
    assert not Team.objects.filter(key="EX").exists()
    assert Task.objects.count() == 0


def test_committing_creates_the_projects_team_and_the_issues_task(
    world, admin_client, search_response, django_capture_on_commit_callbacks
):
    job = draft(world, enriched(search_response))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(job_url(world, "import_commit", job))
    job.refresh_from_db()
    assert response.status_code == 303
    assert (job.status, job.done) == (ImportStatus.DONE, 1)
    team = Team.objects.for_workspace(world.workspace).get(key="EX")
    assert team.name == "Example"
    task = Task.objects.get(team=team)
    assert (task.key, task.title, task.estimate) == ("EX-1", "Main order flow broken", Decimal(5))
    assert task.state_category == StateCategory.STARTED
    assert task.description.startswith("Main order flow broken\n\nAttachments in Jira:\n")
    assert "[picture.jpg](https://your-domain.atlassian.net/" in task.description


def test_an_assignee_found_by_email_is_assigned(world, search_response):
    assignee = {"accountId": "5b10a2844c20165700ede21g", "emailAddress": "Member@acme.example.com"}
    job = draft(world, enriched(search_response, assignee=assignee))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    assert Task.objects.get().assignee == world.member.user


def test_an_assignee_without_email_is_listed_and_left_unassigned(
    world, admin_client, search_response
):
    cloud_user = {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"}
    job = draft(world, enriched(search_response, assignee=cloud_user))
    html = admin_client.get(job_url(world, "import_preview", job)).content.decode()
    assert "Not members here, their tasks stay unassigned: Mia Krystof" in html
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    assert Task.objects.get().assignee is None


@pytest.mark.parametrize(
    ("jira_category", "ours"),
    [
        ("new", StateCategory.UNSTARTED),
        ("indeterminate", StateCategory.STARTED),
        ("done", StateCategory.DONE),
        ("unheard-of", StateCategory.BACKLOG),
    ],
)
def test_status_categories_map_to_ours(world, search_response, jira_category, ours):
    status = {"name": "Whatever", "statusCategory": {"key": jira_category}}
    job = draft(world, enriched(search_response, status=status))
    assert jira.preview(job).issues[0].category == ours


def test_an_existing_team_with_the_project_key_is_reused(world, search_response):
    team = TeamFactory(workspace=world.workspace, key="EX", name="Ours")
    job = draft(world, enriched(search_response))
    assert jira.preview(job).teams_to_create == []
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    assert Task.objects.get().team == team


def test_another_workspaces_team_with_the_key_is_never_touched(world, world_b, search_response):
    theirs = TeamFactory(workspace=world_b.workspace, key="EX", name="Globex EX")
    job = draft(world, enriched(search_response))
    assert jira.preview(job).teams_to_create == [("EX", "Example")]
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    assert Task.objects.filter(team=theirs).count() == 0
    assert Task.objects.get().team.workspace == world.workspace


def test_a_failing_issue_rolls_back_the_teams_and_tasks(world, search_response, monkeypatch):
    payload = enriched(search_response)
    second = copy.deepcopy(payload["issues"][0])
    second["key"] = "ED-2"
    second["fields"]["summary"] = "Refund flow broken"
    payload["issues"].append(second)
    job = draft(world, payload)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    real_create = jira.task_services.task_create

    def fail_on_refunds(**kwargs):
        if kwargs["title"] == "Refund flow broken":
            raise FieldErrors({"title": "Refused for the test."})
        return real_create(**kwargs)

    monkeypatch.setattr(jira.task_services, "task_create", fail_on_refunds)
    jira.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"row": "ED-2", "messages": ["Refused for the test."]}]
    assert not Team.objects.filter(key="EX").exists()
    assert Task.objects.count() == 0


def test_bad_story_points_are_a_warning(world, search_response):
    job = draft(world, enriched(search_response, customfield_10016="many"))
    [issue] = jira.preview(job).issues
    assert (issue.errors, issue.estimate) == ([], None)
    assert "Story points “many”: Must be a number of points. No estimate." in issue.notes


def test_a_file_that_is_not_json_is_refused(world, admin_client):
    response = upload(admin_client, world, b'{"issues": [')
    assert response.status_code == 422
    assert "The file is not Jira search JSON" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_csv_that_is_not_jiras_export_is_refused(world, admin_client):
    response = upload(admin_client, world, b"key,summary\nEX-1,Hello\n")
    assert response.status_code == 422
    assert "This CSV has no “Summary” and “Issue key” columns" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_members_cannot_upload_a_jira_import(world, member_client, search_response):
    assert upload(member_client, world, search_response).status_code == 403
    assert ImportJob.objects.count() == 0


def jira_sprint(state: str, name: str = "Sprint 7") -> dict[str, Any]:
    """Shaped like Jira Cloud's customfield_10020 entries."""
    return {
        "id": 37,
        "name": name,
        "state": state,
        "boardId": 1,
        "goal": "Fix checkout",
        "startDate": "2026-11-23T09:00:00.000Z",
        "endDate": "2026-12-04T17:00:00.000Z",
    }


def test_an_issues_open_sprint_is_planned_and_holds_the_task(world, admin_client, search_response):
    sprints = [jira_sprint("closed", "Sprint 6"), jira_sprint("active")]
    job = draft(world, enriched(search_response, customfield_10020=sprints))
    html = admin_client.get(job_url(world, "import_preview", job)).content.decode()
    assert "Sprints: EX · Sprint 7 (23 Nov–4 Dec 2026, active)" in html
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    task = Task.objects.select_related("sprint").get()
    assert task.sprint is not None
    assert (task.sprint.name, task.sprint.goal) == ("Sprint 7", "Fix checkout")
    assert (task.sprint.start_date, task.sprint.end_date) == (date(2026, 11, 23), date(2026, 12, 4))
    assert task.sprint.status == "active"  # started after its tasks went in: no added scope


def test_a_closed_sprint_dated_after_today_is_not_recreated(world, search_response):
    # The pinned clock (tests/clock.py) is before this sprint's dates: no closed sprint can
    # close in the future. Closed sprints in the past: test_jira_past.py.
    job = draft(world, enriched(search_response, customfield_10020=[jira_sprint("closed")]))
    [issue] = jira.preview(job).issues
    assert "Closed sprint “Sprint 7” closes after today: not recreated." in issue.notes
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    assert Task.objects.get().sprint is None


def test_a_teams_sprint_with_the_same_name_is_reused(world, search_response):
    team = TeamFactory(workspace=world.workspace, key="EX")
    existing = SprintFactory(team=team, name="Sprint 7")
    job = draft(world, enriched(search_response, customfield_10020=[jira_sprint("future")]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    assert Task.objects.get().sprint == existing
    assert Sprint.objects.filter(team=team).count() == 1


def with_epic(response: dict[str, Any], *, epic_in_file: bool = True) -> dict[str, Any]:
    """The real issue as a story under epic EX-10, and (optionally) the epic itself."""
    epic_fields = {"summary": "Checkout revamp", "issuetype": {"name": "Epic"}}
    payload = enriched(response, parent={"key": "EX-10", "fields": epic_fields})
    if epic_in_file:
        epic = copy.deepcopy(payload["issues"][0])
        epic["key"] = "EX-10"
        epic["fields"].pop("parent")
        epic["fields"].update(epic_fields)
        payload["issues"].insert(0, epic)
    return payload


def test_an_epic_becomes_a_roadmap_item_holding_its_stories(world, admin_client, search_response):
    job = draft(world, with_epic(search_response))
    html = admin_client.get(job_url(world, "import_preview", job)).content.decode()
    assert "Epics, as items of the “Jira” roadmap: EX-10 Checkout revamp" in html
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    item = RoadmapItem.objects.for_workspace(world.workspace).get()
    assert (item.roadmap.name, item.title, item.owner_team.key) == ("Jira", "Checkout revamp", "EX")
    task = Task.objects.get()
    assert (task.title, task.roadmap_item) == ("Main order flow broken", item)


def test_an_epic_known_only_as_a_parent_still_becomes_an_item(world, search_response):
    job = draft(world, with_epic(search_response, epic_in_file=False))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    assert Task.objects.get().roadmap_item.title == "Checkout revamp"


def test_an_existing_item_of_the_jira_roadmap_is_reused(world, search_response):
    roadmap = RoadmapFactory(workspace=world.workspace, name="Jira")
    item = RoadmapItemFactory(roadmap=roadmap, title="Checkout revamp")
    job = draft(world, with_epic(search_response))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    jira.run(job.pk)
    assert Task.objects.get().roadmap_item == item
    assert RoadmapItem.objects.count() == 1
