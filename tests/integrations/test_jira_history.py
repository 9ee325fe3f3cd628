"""A Jira import that keeps history: keys (kept, or aliases that links, search and pull
requests still resolve), comments with authors, labels, priorities, blocking links, sub-tasks,
epics, sprints with their state, story points found by field name on Cloud and Server, the
mapping step, warnings instead of refusals, and importing the same export twice.

Fixtures (fixtures/jira/, see fixtures/README.md): `cloud_search_expand_names.json` is the
Cloud board of `jira_board.json` asked with `expand=names,schema`; `server_search_scrum.json`
is a real Jira Server capture (`search__server_localhost_jira_ruby.json`) with the custom
fields a Scrum board fills (legacy sprint strings, "Story Points", "Epic Link")."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alignment.models import Team
from integrations.importers import jira, jira_fields
from integrations.models import ExternalLink, ImportedIssue, ImportJob, ImportKind, ImportStatus
from roadmaps.models import RoadmapItem
from tasks import selectors
from tasks.models import (
    Label,
    Priority,
    Sprint,
    StateCategory,
    Task,
    TaskComment,
    TaskDependency,
    TaskKeyAlias,
)
from tests.factories.core import MembershipFactory, TeamFactory, UserFactory
from tests.factories.work import TaskFactory
from tests.integrations.conftest import body_of, post_github

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def url(world, name: str, job: ImportJob | None = None) -> str:
    kwargs: dict[str, Any] = {"slug": world.workspace.slug}
    if job is not None:
        kwargs["import_job_id"] = job.pk
    return reverse(f"integrations:{name}", kwargs=kwargs)


def upload(client, world, payload: dict[str, Any]) -> tuple[ImportJob, str]:
    """The upload page's answer: the draft job and where it sends the browser next."""
    data = json.dumps(payload).encode()
    response = client.post(
        url(world, "import_jira_upload"),
        {"file": SimpleUploadedFile("search.json", data, "application/json")},
    )
    assert response.status_code == 303, response.content.decode()[-800:]
    return ImportJob.objects.for_workspace(world.workspace).latest("pk"), response["Location"]


def commit(client, world, job: ImportJob, capture) -> ImportJob:
    with capture(execute=True):
        response = client.post(url(world, "import_commit", job))
    assert response.status_code == 303, response.content.decode()[-800:]
    job.refresh_from_db()
    return job


def import_file(client, world, payload: dict[str, Any], capture) -> ImportJob:
    job, _ = upload(client, world, payload)
    job = commit(client, world, job, capture)
    assert job.status == ImportStatus.DONE, job.errors
    return job


def task(world, key: str) -> Task:
    found = selectors.task_by_key(world.workspace, key)
    assert found is not None, f"{key} leads nowhere"
    return found


# --- Jira Cloud, asked with expand=names,schema ---------------------------------------------


def test_a_cloud_export_keeps_keys_and_history(
    world, admin_client, django_capture_on_commit_callbacks
):
    import_file(
        admin_client,
        world,
        fixture("jira/cloud_search_expand_names.json"),
        django_capture_on_commit_callbacks,
    )
    # Keys: the project goes to the new team EX, whose numbers are free: EX-2 stays EX-2.
    ex2 = task(world, "EX-2")
    assert (ex2.key, ex2.title) == ("EX-2", "One-page checkout form")
    assert task(world, "OPS-2").key == "OPS-2"
    # ED-1 was moved into EX in Jira: it takes EX's next number and ED-1 stays an alias.
    moved = task(world, "ED-1")
    assert (moved.key, moved.title) == ("EX-11", "Main order flow broken")
    assert TaskKeyAlias.objects.get(task=moved).key == "ED-1"
    # Priorities, labels and story points (Cloud's "Story point estimate" and "Story Points").
    assert (moved.priority, ex2.priority) == (Priority.URGENT, Priority.HIGH)
    assert sorted(ex2.labels.values_list("name", flat=True)) == ["checkout", "frontend"]
    assert task(world, "OPS-2").estimate == Decimal("0.5")
    # Comments: a member found by e-mail is the author; Mia (no e-mail on Cloud) is named.
    comments = list(TaskComment.objects.filter(task=ex2).order_by("created_at"))
    assert [(c.author, c.body, c.created_at) for c in comments] == [
        (
            world.member.user,
            "Design is ready, see Figma.",
            datetime(2026, 11, 24, 10, 5, tzinfo=UTC),
        ),
        (
            None,
            "*Mia Krystof wrote in Jira:*\n\nKeep the button above the fold.",
            datetime(2026, 11, 25, 16, 40, tzinfo=UTC),
        ),
    ]
    # Blocking links as dependencies, in file order; EX-3 blocks EX-4 would then close a
    # cycle and is left out.
    pairs = set(TaskDependency.objects.values_list("blocking__number", "blocked__number"))
    assert pairs == {(2, 3), (4, 2)}
    # Sub-task under its story, stories under the epic's roadmap item.
    assert task(world, "EX-5").parent == task(world, "EX-4")
    item = RoadmapItem.objects.for_workspace(world.workspace).get()
    assert (item.title, ex2.roadmap_item) == ("Checkout revamp", item)
    # Sprints with dates and state: the active one started, the future one planned.
    sprints = dict(Sprint.objects.for_workspace(world.workspace).values_list("name", "status"))
    assert sprints == {"Sprint 7": "active", "Sprint 8": "planned", "OPS Sprint 3": "active"}
    # Every imported issue is recorded, the epic as its roadmap item.
    assert ImportedIssue.objects.filter(roadmap_item=item).get().external_key == "EX-10"
    assert ImportedIssue.objects.exclude(task=None).count() == 7


def test_the_preview_shows_keys_fields_and_warnings_before_anything_is_written(world, admin_client):
    job, next_step = upload(admin_client, world, fixture("jira/cloud_search_expand_names.json"))
    assert next_step == url(world, "import_preview", job)  # nothing ambiguous: no mapping
    html = admin_client.get(next_step).content.decode()
    assert "8 issues, 0 with errors" in html
    assert (
        "Fields read: Story points from <code>customfield_10016</code> “Story point estimate”"
        " or <code>customfield_10028</code> “Story Points”; Sprint from "
        "<code>customfield_10020</code> “Sprint”." in html
    )
    assert 'EX-11 <span class="muted">(ED-1 leads to it)</span>' in html
    assert "EX-3 blocks EX-4 would close a cycle of dependencies: not imported." in html
    assert "Dependencies: EX-2 blocks EX-3, EX-4 blocks EX-2" in html
    assert "New labels: checkout, frontend, mobile, security" in html
    assert "1 attachments are only linked in the export and not in the upload" in html
    assert "picture.jpg" in html
    assert Task.objects.count() == 0
    assert Team.objects.filter(key="EX").count() == 0


def test_a_project_imported_into_an_existing_team_with_tasks_is_renumbered_with_a_warning(
    world, admin_client, django_capture_on_commit_callbacks
):
    ex = TeamFactory(workspace=world.workspace, key="EX", name="Existing")
    for _ in range(3):
        TaskFactory(team=ex)  # EX-1..EX-3 exist: Jira's EX-2, EX-3 clash, EX-4, EX-5 are free
    job, _ = upload(admin_client, world, fixture("jira/cloud_search_expand_names.json"))
    preview = jira.preview(job)
    by_key = {i.key: i for i in preview.issues}
    assert (by_key["EX-4"].planned_key, by_key["EX-5"].planned_key) == ("EX-4", "EX-5")
    assert by_key["EX-2"].planned_key == "EX-12"  # after ED-1, which comes first
    assert (
        "EX-2 is a key of team EX here: imported as EX-12, and links naming EX-2 find that "
        "team's task." in by_key["EX-2"].notes
    )
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    assert task(world, "EX-12").title == "One-page checkout form"
    assert task(world, "EX-2").title != "One-page checkout form"  # the team's own task wins


# --- Jira Server ------------------------------------------------------------------------------


def test_a_server_export_reads_story_points_epic_link_and_legacy_sprints_by_name(
    world, admin_client, django_capture_on_commit_callbacks
):
    MembershipFactory(
        workspace=world.workspace, user=UserFactory(email="admin@example.com"), role="member"
    )
    payload = fixture("jira/server_search_scrum.json")
    detection = jira_fields.detect(payload)
    assert detection.default_mapping() == {
        "points": ["customfield_10002"],
        "sprint": ["customfield_10004"],
        "epic_link": ["customfield_10005"],
    }
    import_file(admin_client, world, payload, django_capture_on_commit_callbacks)
    sam1, sam2 = task(world, "SAM-1"), task(world, "SAM-2")
    assert (sam1.key, sam1.estimate, sam1.priority) == ("SAM-1", Decimal(3), Priority.HIGH)
    assert sam1.roadmap_item is not None
    assert sam1.roadmap_item.title == "Sample epic"
    assert sam1.sprint is not None
    assert (sam1.sprint.name, sam1.sprint.status) == ("SAM Sprint 2", "active")
    assert (sam1.sprint.start_date, sam1.sprint.end_date) == (date(2026, 11, 23), date(2026, 12, 4))
    assert sam1.assignee is not None
    assert sam1.assignee.email == "admin@example.com"
    assert list(TaskDependency.objects.values_list("blocking", "blocked")) == [(sam1.pk, sam2.pk)]
    # The real Server comment page: author matched by e-mail, plain-text body, its date.
    [first, *_] = TaskComment.objects.filter(task=sam2).order_by("created_at")
    assert (first.author.email, first.body) == ("admin@example.com", "This is a comment. Creative.")


def test_the_real_server_capture_imports_as_it_is(
    world, admin_client, django_capture_on_commit_callbacks
):
    payload = fixture("jira/search__server_localhost_jira_ruby.json")
    import_file(admin_client, world, payload, django_capture_on_commit_callbacks)
    assert sorted(Task.objects.values_list("number", "title")) == [
        (1, "Test issue 1"),
        (2, "Test issue 2"),
    ]
    assert task(world, "SAM-2").priority == Priority.HIGH  # Server's "Major"


def test_the_agile_apis_sprint_and_epic_objects_are_read(world):
    payload = fixture("jira/agile_sprint_issues__docs_jira_ruby.json")
    [issue] = jira.issues_from_search(payload)
    assert [(s.name, s.state) for s in issue.sprints] == [
        ("sprint 1", "closed"),
        ("sprint 2", "future"),
    ]
    assert issue.parent_is_epic
    assert issue.parent_key


# --- the mapping step ---------------------------------------------------------------------


def ambiguous_points() -> dict[str, Any]:
    """One issue with different values in both story point fields, as after a site merge."""
    payload = fixture("jira/cloud_search_expand_names.json")
    ex2 = next(i for i in payload["issues"] if i["key"] == "EX-2")
    ex2["fields"]["customfield_10028"] = 13  # "Story point estimate" says 8
    return payload


def test_ambiguous_story_points_send_the_upload_to_the_mapping_step(world, admin_client):
    job, next_step = upload(admin_client, world, ambiguous_points())
    assert next_step == url(world, "import_mapping", job)
    html = admin_client.get(next_step).content.decode()
    assert "Story points are read from" in html
    assert "customfield_10028 “Story Points”, e.g. 13" in html
    notes = jira.preview(job).notes
    assert notes == [
        "More than one field may hold the story points, with different values: the first "
        "filled one is read. Choose one in the mapping."
    ]


def test_the_mapping_chooses_the_field_and_the_team(
    world, admin_client, django_capture_on_commit_callbacks
):
    job, _ = upload(admin_client, world, ambiguous_points())
    form = {
        "field_points": "customfield_10028",
        "field_sprint": "customfield_10020",
        "project_0": "ENG",  # EX goes to the existing team ENG: its keys become aliases
        "project_1": "OPS",
    }
    response = admin_client.post(url(world, "import_mapping", job), form)
    assert response.status_code == 303
    assert response["Location"] == url(world, "import_preview", job)
    job.refresh_from_db()
    assert job.mapping == {
        "fields": {"points": ["customfield_10028"], "sprint": ["customfield_10020"]},
        "projects": {"EX": "ENG", "OPS": "OPS"},
        "custom": {},  # no Jira custom field mapped onto ours
    }
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    ex2 = task(world, "EX-2")
    assert (ex2.team, ex2.estimate) == (world.team, Decimal(13))
    assert ex2.key.startswith("ENG-")
    assert TaskKeyAlias.objects.get(task=ex2).key == "EX-2"


# --- aliases through the webhooks --------------------------------------------------------------


def test_a_pull_request_and_a_push_naming_the_jira_key_reach_the_imported_task(
    world, admin_client, github, django_capture_on_commit_callbacks
):
    job, _ = upload(admin_client, world, fixture("jira/cloud_search_expand_names.json"))
    admin_client.post(url(world, "import_mapping", job), {"project_0": "ENG"})
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    ex4 = task(world, "EX-2")  # "To Do" in Jira, ENG-n here
    assert ex4.team == world.team
    assert ex4.state_category == StateCategory.UNSTARTED

    pr = fixture("github/pull_request__opened.json")
    pr["pull_request"]["title"] = "EX-2: one-page form"
    with django_capture_on_commit_callbacks(execute=True):
        assert post_github(github, "pull_request", body_of(pr), delivery="d1").status_code == 202
    ex4.refresh_from_db()
    assert ex4.state_category == StateCategory.STARTED
    [link] = ExternalLink.objects.for_workspace(world.workspace).filter(kind="pull_request")
    assert link.task_key == ex4.key  # stored under the key the task has here

    push = fixture("github/push__force_1_commit-fork.json")
    push["commits"][0]["message"] = "Fix the form (ex-2)"
    with django_capture_on_commit_callbacks(execute=True):
        assert post_github(github, "push", body_of(push), delivery="d2").status_code == 202
    [commit_link] = ExternalLink.objects.for_workspace(world.workspace).filter(kind="commit")
    assert commit_link.task_key == ex4.key
    page = admin_client.get(
        reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": ex4.key})
    ).content.decode()
    assert "formerly EX-2" in page
    assert "EX-2: one-page form" in page


def test_the_search_and_the_api_find_a_task_by_its_jira_key(
    world, admin_client, django_capture_on_commit_callbacks
):
    job, _ = upload(admin_client, world, fixture("jira/cloud_search_expand_names.json"))
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    moved = task(world, "ED-1")
    api = admin_client.get(f"/api/v1/workspaces/{world.workspace.slug}/tasks/ED-1/")
    assert api.status_code == 200
    assert api.json()["key"] == moved.key == "EX-11"


# --- twice, and all or nothing -------------------------------------------------------------------


def test_importing_the_same_export_twice_creates_nothing_the_second_time(
    world, admin_client, django_capture_on_commit_callbacks
):
    payload = fixture("jira/cloud_search_expand_names.json")
    import_file(admin_client, world, payload, django_capture_on_commit_callbacks)
    before = (Task.objects.count(), TaskComment.objects.count(), Sprint.objects.count())
    job, _ = upload(admin_client, world, payload)
    html = admin_client.get(url(world, "import_preview", job)).content.decode()
    assert "Every issue of this file was imported before: there is nothing to import." in html
    response = admin_client.post(url(world, "import_commit", job))
    assert response.status_code == 409
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT
    assert (Task.objects.count(), TaskComment.objects.count(), Sprint.objects.count()) == before


def test_a_later_export_adds_only_new_issues_and_links_to_the_earlier_ones(
    world, admin_client, django_capture_on_commit_callbacks
):
    payload = fixture("jira/cloud_search_expand_names.json")
    first = copy.deepcopy(payload)
    first["issues"] = [i for i in payload["issues"] if i["key"] != "EX-3"]
    import_file(admin_client, world, first, django_capture_on_commit_callbacks)
    assert selectors.task_by_key(world.workspace, "EX-3") is None
    job = import_file(admin_client, world, payload, django_capture_on_commit_callbacks)
    assert job.total == 8
    assert Task.objects.filter(title="Coupon code ignored on mobile").count() == 1
    ex3 = task(world, "EX-3")
    blocking = set(TaskDependency.objects.filter(blocked=ex3).values_list("blocking", flat=True))
    assert blocking == {task(world, "EX-2").pk}


def test_a_refused_row_rolls_back_everything(
    world, admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    from alignment.errors import FieldErrors

    def refuse(**kwargs: Any) -> None:
        raise FieldErrors({"body": "Refused for the test."})

    monkeypatch.setattr(jira.task_services, "task_comment_import", refuse)
    job, _ = upload(admin_client, world, fixture("jira/cloud_search_expand_names.json"))
    job = commit(admin_client, world, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"row": "ED-1", "messages": ["Refused for the test."]}]
    assert not Team.objects.filter(key__in=["EX", "OPS"]).exists()
    assert Task.objects.count() == 0
    assert Sprint.objects.count() == 0
    assert not ImportedIssue.objects.exists()
    assert not TaskKeyAlias.objects.exists()
    assert not Label.objects.for_workspace(world.workspace).exists()


# --- rows with problems are warnings ------------------------------------------------------------


def test_problems_in_rows_are_warnings_and_the_rest_imports(
    world, admin_client, django_capture_on_commit_callbacks
):
    payload = fixture("jira/cloud_search_expand_names.json")
    by_key = {i["key"]: i["fields"] for i in payload["issues"]}
    by_key["EX-3"]["status"] = {"name": "Parked", "statusCategory": {"key": "undefined"}}
    by_key["EX-3"]["priority"] = {"name": "P0"}
    by_key["EX-2"]["comment"]["comments"][0]["created"] = "yesterday"
    by_key["EX-4"]["summary"] = None
    job, _ = upload(admin_client, world, payload)
    notes = {i.key: i.notes for i in jira.preview(job).issues}
    assert "Status “Parked” has no known category: it goes to the backlog." in notes["EX-3"]
    assert "Priority “P0” is unknown here: no priority." in notes["EX-3"]
    assert "A comment's date “yesterday” cannot be read: dated at the import." in notes["EX-2"]
    assert "It has no summary: titled by its key." in notes["EX-4"]
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    ex3 = task(world, "EX-3")
    assert (ex3.state_category, ex3.priority) == (StateCategory.BACKLOG, Priority.NONE)
    assert task(world, "EX-4").title == "EX-4 (no summary in Jira)"


def test_an_upload_is_a_jira_kind_job(world, admin_client):
    job, _ = upload(admin_client, world, fixture("jira/cloud_search_expand_names.json"))
    assert job.kind == ImportKind.JIRA
