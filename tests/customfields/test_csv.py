"""Custom fields in the task CSV: exported as columns named after the fields, guessed back on
import, checked in the preview (the message names the field), written with the task."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customfields.models import CustomFieldValue, FieldKind
from integrations.models import ImportJob
from tasks.models import Task
from tests.factories.customfields import define, set_values
from tests.factories.work import TaskFactory


def _url(world, name, **kwargs):
    return reverse(f"integrations:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


def _export(client, world) -> str:
    response = client.get(_url(world, "export_tasks"))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def _import(client, world, text: str):
    """Upload, keep the guessed mapping, preview, commit; the preview's HTML is returned."""
    response = client.post(
        _url(world, "import_tasks_upload"),
        {"file": SimpleUploadedFile("tasks.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 303
    job = ImportJob.objects.latest("pk")
    preview = client.get(_url(world, "import_preview", import_job_id=job.pk)).content.decode()
    return job, preview


def test_tasks_round_trip_with_their_custom_fields(
    world, admin_client, customer, deal_size, django_capture_on_commit_callbacks
):
    regions = define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US"])
    define(world.admin, "Owner", FieldKind.PERSON)
    task = TaskFactory(team=world.team, title="Renewal for Acme")
    set_values(
        world.member,
        task,
        Customer="Acme",
        deal_size="1200.50",
        Regions=["US", "EU"],
        Owner=world.viewer.user.email,
    )
    TaskFactory(team=world.team, title="No fields")

    text = _export(admin_client, world)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["Customer"] == "Acme"
    assert rows[0]["Deal size"] == "1200.5"
    assert rows[0]["Regions"] == "EU, US"
    assert rows[0]["Owner"] == world.viewer.user.email
    assert rows[1]["Customer"] == ""

    job, preview = _import(admin_client, world, text)
    assert job.mapping[f"cf:{customer.pk}"] == "Customer"
    assert job.mapping[f"cf:{regions.pk}"] == "Regions"
    assert "Customer: Acme" in preview
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_url(world, "import_commit", import_job_id=job.pk))
    assert response.status_code == 303

    imported = Task.objects.exclude(pk__in=[task.pk]).get(title="Renewal for Acme")
    values = {
        v.field.name: v
        for v in CustomFieldValue.objects.filter(task=imported).select_related("field", "option")
    }
    assert values["Customer"].option.label == "Acme"
    assert str(values["Deal size"].number.normalize()) == "1200.5"
    assert values["Owner"].person_id == world.viewer.user_id
    assert CustomFieldValue.objects.filter(task=imported, field=regions).count() == 2


def test_a_bad_custom_cell_is_a_preview_error_naming_the_field(world, admin_client, customer):
    text = "Title,Team,Customer\r\nOne,ENG,Umbrella\r\nTwo,ENG,globex\r\n"

    job, preview = _import(admin_client, world, text)

    assert "“Customer”: “Umbrella” is not an option." in preview
    assert "2 rows, 1 with errors." in preview
    response = admin_client.post(_url(world, "import_commit", import_job_id=job.pk))
    assert response.status_code in (303, 409, 422)
    assert not Task.objects.exists()
    assert not CustomFieldValue.objects.exists()
