"""The Jira import's mapping step maps Jira custom fields onto ours; the preview checks each
value (naming the field) and the import sets them on the tasks."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customfields.models import CustomFieldValue, FieldKind
from integrations.models import ImportJob, ImportStatus
from tasks.models import Task
from tests.factories.customfields import define
from tests.integrations.test_jira_import import enriched, search_response  # noqa: F401


def _url(world, name, **kwargs):
    return reverse(f"integrations:{name}", kwargs={"slug": world.workspace.slug, **kwargs})


@pytest.fixture
def payload(search_response):  # noqa: F811
    data = enriched(
        search_response,
        customfield_10100={"value": "Globex", "id": "10200"},
        customfield_10101=[{"value": "EU"}, {"value": "US"}],
        customfield_10102=4200,
    )
    data["names"] = {
        "customfield_10100": "Customer",
        "customfield_10101": "Regions",
        "customfield_10102": "ARR",
    }
    return data


def _upload(client, world, payload):
    data = json.dumps(payload).encode()
    return client.post(
        _url(world, "import_jira_upload"),
        {"file": SimpleUploadedFile("search.json", data, "application/json")},
    )


def test_jira_custom_fields_are_mapped_onto_ours_and_imported(
    world, admin_client, payload, customer, deal_size, django_capture_on_commit_callbacks
):
    regions = define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US"])

    response = _upload(admin_client, world, payload)
    job = ImportJob.objects.get()
    assert response["Location"] == _url(world, "import_mapping", import_job_id=job.pk)
    page = admin_client.get(response["Location"]).content.decode()
    assert "Jira customfield_10100 “Customer”, e.g. Globex goes to our field" in page

    # Customer and Regions are guessed by name; ARR is mapped by hand onto "Deal size".
    form = {
        "custom_0": str(customer.pk),
        "custom_1": str(regions.pk),
        "custom_2": str(deal_size.pk),
    }
    form.update(
        {
            name: value
            for name, value in _initial_fields(admin_client, response["Location"]).items()
            if name not in form
        }
    )
    answered = admin_client.post(response["Location"], form)
    assert answered.status_code == 303, answered.content.decode()[:2000]
    job.refresh_from_db()
    assert job.mapping["custom"] == {
        "customfield_10100": customer.pk,
        "customfield_10101": regions.pk,
        "customfield_10102": deal_size.pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_url(world, "import_commit", import_job_id=job.pk))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    task = Task.objects.get()
    values = CustomFieldValue.objects.filter(task=task).select_related("field", "option")
    shown = sorted((v.field.name, v.option.label if v.option else str(v.number)) for v in values)
    assert shown == [
        ("Customer", "Globex"),
        ("Deal size", "4200.0000"),
        ("Regions", "EU"),
        ("Regions", "US"),
    ]


def _initial_fields(client, url):
    """The mapping form's other fields with their shown values (projects etc.)."""
    import re

    html = client.get(url).content.decode()
    fields = {}
    for select in re.finditer(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(2))
        fields[select.group(1)] = chosen.group(1) if chosen else ""
    return fields


def test_a_jira_value_that_is_not_an_option_is_an_error_naming_the_field(
    world, admin_client, payload, deal_size
):
    customer = define(world.admin, "Customer", FieldKind.SELECT, options=["Acme"])
    job = ImportJob.objects.create(
        workspace=world.workspace,
        kind="jira",
        source=json.dumps(payload),
        mapping={"custom": {"customfield_10100": customer.pk}},
        created_by=world.admin.user,
    )

    html = admin_client.get(_url(world, "import_preview", import_job_id=job.pk)).content.decode()

    assert "Jira customfield_10100: “Customer”: “Globex” is not an option. Options: Acme." in html
    assert admin_client.post(_url(world, "import_commit", import_job_id=job.pk)).status_code == 409
    assert not Task.objects.exists()
