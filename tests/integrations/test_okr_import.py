"""OKR import from CSV through the real pages: upload -> column mapping -> preview with each
row's errors -> commit -> progress, written through okrs.services; and the OKR export read
back by the import (round trip)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from django.utils import timezone

from alignment.errors import FieldErrors
from alignment.models import AuditEvent
from integrations.importers import okr_csv
from integrations.models import ImportJob, ImportKind, ImportStatus
from okrs.models import KeyResult, KeyResultKind, KeyResultSource, Objective, ObjectiveLevel
from tests.factories.core import TeamFactory
from tests.factories.okrs import ObjectiveFactory, PeriodFactory
from tests.integrations.okr_import_steps import HEADER, commit, draft, upload, upload_and_map, url
from tests.querycount import assert_flat_queries

GOOD = HEADER + (
    "Q3 2026,Grow revenue,company,,admin@acme.example.com,,Reach MRR,currency,EUR,"
    "120000,150000,126500,manual,owner@acme.example.com\n"
    "Q3 2026,Grow revenue,company,,admin@acme.example.com,,Keep churn low,percentage,%,"
    "3.1,2,,manual,\n"
    "Q3 2026,Fast checkout,team,eng,member@acme.example.com,Grow revenue,Cut p95 latency,"
    "number,ms,900,300,850,manual,member@acme.example.com\n"
    ",,,,,,,,,,,,,\n"
    "Q3 2026,Fast checkout,,,,,Ship one-page checkout,boolean,,,,1,tasks,\n"
    "Q3 2026,Hire well,team,ENG,,,,,,,,,,\n"
)


def test_the_whole_flow_creates_objectives_and_key_results_through_the_services(
    world, admin_client, quarter, django_capture_on_commit_callbacks
):
    job = upload_and_map(admin_client, world, GOOD)
    assert job.kind == ImportKind.OKRS_CSV
    preview = admin_client.get(url(world, "import_preview", job)).content.decode()
    assert "5 rows: 3 objectives, 4 key results; 0 rows with errors." in preview
    assert "Import 3 objectives and 4 key results" in preview
    assert Objective.objects.count() == 0  # the preview writes nothing

    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (ImportStatus.DONE, 5, 5)
    page = admin_client.get(url(world, "import_progress", job)).content.decode()
    assert "5 of 5 rows" in page
    assert 'aria-label="100% imported"' in page

    revenue = Objective.objects.get(title="Grow revenue")
    checkout = Objective.objects.get(title="Fast checkout")
    hiring = Objective.objects.get(title="Hire well")
    assert (revenue.level, revenue.team, revenue.owner) == (
        ObjectiveLevel.COMPANY,
        None,
        world.admin.user,
    )
    assert (checkout.team, checkout.parent, checkout.owner) == (
        world.team,
        revenue,
        world.member.user,
    )
    assert hiring.key_results.count() == 0
    mrr, churn = revenue.key_results.order_by("position")
    assert (mrr.kind, mrr.unit, mrr.baseline, mrr.target, mrr.current) == (
        KeyResultKind.CURRENCY,
        "EUR",
        Decimal("120000"),
        Decimal("150000"),
        Decimal("126500"),
    )
    assert mrr.owner == world.owner.user
    assert churn.current == Decimal("3.1")  # no current value: it starts at the baseline
    ship = checkout.key_results.get(title="Ship one-page checkout")
    assert (ship.kind, ship.current, ship.source) == (
        KeyResultKind.BOOLEAN,
        Decimal(1),
        KeyResultSource.TASKS,
    )
    # The services wrote their audit trail, attributed to the admin who started the import.
    verbs = sorted(AuditEvent.objects.filter(actor=world.admin.user).values_list("verb", flat=True))
    assert verbs == ["key_result.created"] * 4 + ["objective.created"] * 3


def test_the_template_is_a_csv_whose_every_column_is_recognised(world, admin_client):
    response = admin_client.get(url(world, "import_okrs_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="okr-import-template.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == okr_csv.TEMPLATE_HEADER
    assert len(rows) == 1 + len(okr_csv.TEMPLATE_ROWS)
    guessed = okr_csv.guess_mapping(rows[0])
    assert {name: column for name, column in guessed.items() if column} == {
        name: name for name in okr_csv.TEMPLATE_HEADER
    }


def test_the_template_imports_once_its_period_team_and_people_exist(
    world, admin_client, django_capture_on_commit_callbacks
):
    PeriodFactory(
        workspace=world.workspace, name="Q3 2026", start=date(2026, 7, 1), end=date(2026, 9, 30)
    )
    text = admin_client.get(url(world, "import_okrs_template")).content.decode()
    for role in ("ceo", "cfo", "lead", "dev"):
        text = text.replace(f"{role}@example.com", "member@acme.example.com")
    job = upload_and_map(admin_client, world, text)
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert KeyResult.objects.for_workspace(world.workspace).count() == 4


def test_headers_named_differently_are_guessed(world, admin_client, quarter):
    text = (
        "Quarter,Objective title,Team key,Key result,Metric type,Start,Target value\n"
        "Q3 2026,Fast checkout,ENG,Cut p95 latency,number,900,300\n"
    )
    job = upload_and_map(admin_client, world, text)
    assert job.mapping["period"] == "Quarter"
    assert job.mapping["objective"] == "Objective title"
    assert job.mapping["kind"] == "Metric type"
    assert job.mapping["baseline"] == "Start"
    html = admin_client.get(url(world, "import_preview", job)).content.decode()
    assert "1 rows: 1 objectives, 1 key results; 0 rows with errors." in html


BAD = HEADER + (
    # line 2: fine, and the parent of line 3
    "Q3 2026,Grow revenue,company,,,,Reach MRR,currency,EUR,1,2,,manual,\n"
    # line 3: unknown team, unknown owner, a target that is not a number
    "Q3 2026,Fast checkout,team,GLX,nobody@acme.example.com,Grow revenue,Cut latency,number,"
    "ms,900,fast,,manual,\n"
    # line 4: its period does not exist
    "Q9 2099,Nowhere,team,ENG,,,,,,,,,,\n"
    # line 5: an objective that is already in the period
    "Q3 2026,Existing goal,team,ENG,,,,,,,,,,\n"
    # line 6: a parent found nowhere
    "Q3 2026,Orphan,team,ENG,,Made-up parent,,,,,,,,\n"
    # line 7: repeats Grow revenue with another level; a KR title twice; a bad metric type
    "Q3 2026,Grow revenue,team,,,,Reach MRR,speed,,1,2,,manual,\n"
    # line 8: a boolean result with a current value of 2
    "Q3 2026,Orphan,,,,,Ship it,boolean,,,,2,manual,\n"
    # line 9: a numeric result whose target equals its start
    "Q3 2026,Orphan,,,,,Flat,number,,5,5,,manual,\n"
)


def test_the_preview_names_every_rows_problem_and_refuses_to_import(world, admin_client, quarter):
    ObjectiveFactory(period=quarter, title="Existing goal", team=world.team)
    job = upload_and_map(admin_client, world, BAD)
    response = admin_client.get(url(world, "import_preview", job))
    html = response.content.decode()
    assert response.status_code == 200
    assert "8 rows:" in html
    assert "7 rows with errors." in html
    assert '<tr id="row-2">' in html  # the good row has no error class

    def problems(line: int) -> str:
        start = html.index(f'id="row-{line}"')
        return html[start : html.index("</tr>", start)]

    assert "Unknown team key “GLX”." in problems(3)
    assert "No member of this workspace has the e-mail “nobody@acme.example.com”." in (problems(3))
    assert "Column “target”: “fast” is not a number like 1250 or 12.5." in problems(3)
    assert "No period named “Q9 2099” in this workspace" in problems(4)
    assert "Q3 2026 already has an objective “Existing goal”" in problems(5)
    assert "Parent objective “Made-up parent” was not found in this file or in a period " in (
        problems(6)
    )
    assert "Level “team” differs from line 2, which gives objective “Grow revenue” “company”." in (
        problems(7)
    )
    assert "Key result “Reach MRR” is already on line 2 for this objective." in problems(7)
    assert "Metric type “speed” is not one of number, percentage" in problems(7)
    assert "a boolean key result is 0 (not done) or 1 (done)." in problems(8)
    assert "The target must differ from the start value." in problems(9)
    assert "Import " not in html.split('id="import-preview"')[1]  # no import button

    refused = admin_client.post(url(world, "import_commit", job))
    assert refused.status_code == 409
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT
    assert Objective.objects.count() == 1  # only the one made above


def test_a_number_error_names_the_files_own_column(world, admin_client, quarter):
    text = "Quarter,Objective,Team,KR,Goal value\nQ3 2026,Fast checkout,ENG,Cut latency,3,5\n"
    job = upload_and_map(admin_client, world, text.replace(",3,5", ",3.5.1"))
    job.mapping["target"] = "Goal value"
    job.save()
    [row] = okr_csv.preview(job).rows
    assert row.errors == ["Column “Goal value”: “3.5.1” is not a number like 1250 or 12.5."]


def test_a_missing_required_column_is_a_mapping_error(world, admin_client, quarter):
    assert upload(admin_client, world, "objective,team\nFast checkout,ENG\n").status_code == 303
    job = ImportJob.objects.get()  # straight to the preview, past the mapping step
    html = admin_client.get(url(world, "import_preview", job)).content.decode()
    assert "Choose the column that holds the period (name)." in html
    assert admin_client.post(url(world, "import_commit", job)).status_code == 409


def test_the_mapping_page_refuses_to_drop_a_required_field(world, admin_client, quarter):
    job = upload_and_map(admin_client, world, GOOD)
    response = admin_client.post(url(world, "import_mapping", job), {"objective": "objective"})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_another_workspaces_period_team_people_and_parent_are_unknown(
    world, world_b, admin_client, quarter
):
    theirs = PeriodFactory(
        workspace=world_b.workspace, name="B only", start=date(2026, 7, 1), end=date(2026, 9, 30)
    )
    TeamFactory(workspace=world_b.workspace, key="GLX")
    ObjectiveFactory(period=theirs, title="Globex plan", team=world_b.team)
    text = HEADER + (
        "B only,Stolen,team,ENG,,,,,,,,,,\n"
        "Q3 2026,Fast checkout,team,GLX,member@globex.example.com,Globex plan,,,,,,,,\n"
    )
    job = upload_and_map(admin_client, world, text)
    first, second = okr_csv.preview(job).rows
    assert first.errors == [
        "No period named “B only” in this workspace; create it on the OKRs page first."
    ]
    assert second.errors == [
        "Unknown team key “GLX”.",
        "No member of this workspace has the e-mail “member@globex.example.com”.",
        "Parent objective “Globex plan” was not found in this file or in a period covering "
        "Q3 2026.",
    ]


def test_a_parent_already_in_the_workspace_in_an_enclosing_period_is_used(
    world, admin_client, quarter, django_capture_on_commit_callbacks
):
    year = PeriodFactory(
        workspace=world.workspace, name="2026", start=date(2026, 1, 1), end=date(2026, 12, 31)
    )
    annual = ObjectiveFactory(period=year, title="Win the mid-market", team=world.team)
    text = HEADER + "Q3 2026,Fast checkout,team,ENG,,Win the mid-market,,,,,,,,\n"
    job = upload_and_map(admin_client, world, text)
    commit(admin_client, world, job, django_capture_on_commit_callbacks)
    assert Objective.objects.get(title="Fast checkout").parent == annual


def test_a_parent_in_a_period_that_does_not_cover_is_not_found(world, quarter):
    later = PeriodFactory(
        workspace=world.workspace, name="Q4 2026", start=date(2026, 10, 1), end=date(2026, 12, 31)
    )
    ObjectiveFactory(period=later, title="Later plan", team=world.team)
    job = draft(world, HEADER + "Q3 2026,Fast checkout,team,ENG,,Later plan,,,,,,,,\n")
    [row] = okr_csv.preview(job).rows
    assert row.errors == [
        "Parent objective “Later plan” was not found in this file or in a period covering Q3 2026."
    ]


def test_parents_in_a_loop_are_an_error(world, quarter):
    job = draft(
        world,
        HEADER
        + "Q3 2026,Alpha,team,ENG,,Beta,,,,,,,,\n"
        + "Q3 2026,Beta,team,ENG,,Alpha,,,,,,,,\n",
    )
    preview = okr_csv.preview(job)
    assert not preview.is_valid
    assert any("would be its own ancestor" in e for r in preview.rows for e in r.errors)


def test_children_listed_before_their_parent_are_created_after_it(world, quarter):
    job = draft(
        world,
        HEADER
        + "Q3 2026,Child,team,ENG,,Middle,,,,,,,,\n"
        + "Q3 2026,Middle,team,ENG,,Top,,,,,,,,\n"
        + "Q3 2026,Top,company,,,,,,,,,,,\n",
    )
    preview = okr_csv.preview(job)
    assert [o.title for o in preview.objectives] == ["Top", "Middle", "Child"]
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    okr_csv.run(job.pk)
    child = Objective.objects.get(title="Child")
    assert child.parent is not None
    assert child.parent.parent is not None
    assert child.parent.parent.title == "Top"


def test_a_closed_period_is_an_error(world, quarter):
    quarter.closed_at = timezone.now()
    quarter.save()
    job = draft(world, HEADER + "Q3 2026,Fast checkout,team,ENG,,,,,,,,,,\n")
    [row] = okr_csv.preview(job).rows
    assert row.errors == ["Period “Q3 2026” is closed; nothing can be added to it."]


def test_a_refusal_during_the_run_writes_nothing_and_names_the_line(world, quarter, monkeypatch):
    job = draft(world, GOOD)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    real_create = okr_csv.okr_services.key_result_create

    def refuse_latency(**kwargs):
        if kwargs["title"] == "Cut p95 latency":
            raise FieldErrors({"title": "Refused for the test."})
        return real_create(**kwargs)

    monkeypatch.setattr(okr_csv.okr_services, "key_result_create", refuse_latency)
    okr_csv.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"row": 4, "messages": ["Refused for the test."]}]
    assert Objective.objects.count() == 0
    assert KeyResult.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="objective.created").exists()


def test_running_twice_imports_once(world, quarter):
    job = draft(world, GOOD)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    okr_csv.run(job.pk)
    okr_csv.run(job.pk)
    assert Objective.objects.count() == 3


def test_members_cannot_import_okrs_or_fetch_the_template(world, member_client, quarter):
    assert upload(member_client, world, GOOD).status_code == 403
    assert member_client.get(url(world, "import_okrs_template")).status_code == 403
    assert ImportJob.objects.count() == 0


def test_later_rows_may_repeat_an_objective_in_other_words(world, quarter):
    job = draft(
        world,
        HEADER
        + "Q3 2026,Fast checkout,,eng,,,Cut latency,number,ms,900,300,,,\n"
        + "Q3 2026,Fast checkout,Team,ENG,,,Ship it,boolean,,,,0,,\n",
    )
    preview = okr_csv.preview(job)
    assert preview.job_errors() == []
    assert [o.team for o in preview.objectives] == [world.team]


def test_the_preview_queries_do_not_grow_with_rows(world, admin_client, quarter):
    ObjectiveFactory(period=quarter, title="Existing goal", team=world.team)
    job = draft(world, GOOD)

    def grow() -> None:
        more = "".join(
            f"Q3 2026,Goal {n},team,ENG,member@acme.example.com,Grow revenue,KR {n},number,,"
            f"0,{n + 1},,manual,admin@acme.example.com\n"
            for n in range(20)
        )
        ObjectiveFactory.create_batch(5, period=quarter, team=world.team)
        ImportJob.objects.filter(pk=job.pk).update(source=GOOD + more)

    assert_flat_queries(admin_client, url(world, "import_preview", job), grow=grow, budget=12)
