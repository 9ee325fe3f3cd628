"""The Jira CSV import's mapping step maps Jira's "Custom field (…)" columns onto ours, as the
search-JSON import does; the preview checks each value and the import sets them."""

from __future__ import annotations

from customfields.models import CustomFieldValue, FieldKind
from integrations.importers import jira_csv
from integrations.models import ImportJob
from tasks.models import Task
from tests.factories.customfields import define
from tests.integrations.test_jira_csv_import import commit, mapping_post, upload, url

HEADER = (
    "Summary,Issue key,Issue id,Issue Type,Status,Custom field (Story Points),"
    "Custom field (Customer),Custom field (Regions),Custom field (Regions),Custom field (ARR)"
)


def _csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


DATA = _csv(
    "Wire it,APP-1,1,Task,To Do,3,Globex,EU,US,4200",
    "Test it,APP-2,2,Task,To Do,,,,,",
)


def test_the_mapping_step_offers_jira_custom_columns_with_guesses(
    world, admin_client, customer, deal_size
):
    job = upload(admin_client, world.workspace, DATA, "Jira.csv")

    page = admin_client.get(url(world.workspace, "import_mapping", job)).content.decode()
    assert "Jira Custom field (Customer) “Customer”, e.g. Globex goes to our field" in page
    assert "Custom field (Regions) “Regions”, e.g. EU, US" in page
    assert "Story Points" not in page.split("goes to our field")[0][-300:]  # a role, not asked
    # Customer is guessed by name; ARR has no namesake.
    assert job.mapping["custom"] == {"Custom field (Customer)": customer.pk}
    choices = jira_csv.choices(world.workspace, job.source)
    assert [c.field_id for c in choices.custom] == [
        "Custom field (Customer)",
        "Custom field (Regions)",
        "Custom field (ARR)",
    ]


def test_mapped_columns_are_imported_onto_our_fields(
    world, admin_client, customer, deal_size, django_capture_on_commit_callbacks
):
    regions = define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US"])
    job = upload(admin_client, world.workspace, DATA, "Jira.csv")
    form = mapping_post(
        job,
        custom_0=str(customer.pk),
        custom_1=str(regions.pk),
        custom_2=str(deal_size.pk),
    )

    mapped = admin_client.post(url(world.workspace, "import_mapping", job), form)

    assert mapped.status_code == 303, mapped.content.decode()[-1500:]
    job.refresh_from_db()
    assert job.mapping["custom"] == {
        "Custom field (Customer)": customer.pk,
        "Custom field (Regions)": regions.pk,
        "Custom field (ARR)": deal_size.pk,
    }
    commit(admin_client, world.workspace, job, django_capture_on_commit_callbacks)
    task = Task.objects.get(title="Wire it")
    values = CustomFieldValue.objects.filter(task=task).select_related("field", "option")
    shown = sorted((v.field.name, v.option.label if v.option else str(v.number)) for v in values)
    assert shown == [
        ("Customer", "Globex"),
        ("Deal size", "4200.0000"),
        ("Regions", "EU"),
        ("Regions", "US"),
    ]
    assert not CustomFieldValue.objects.filter(task__title="Test it").exists()


def test_a_value_that_does_not_fit_is_an_error_naming_the_fields(world, admin_client, deal_size):
    customer = define(world.admin, "Customer", FieldKind.SELECT, options=["Acme"])
    job = ImportJob.objects.create(
        workspace=world.workspace,
        kind="jira_csv",
        source=DATA.decode(),
        mapping={"custom": {"Custom field (Customer)": customer.pk}},
        created_by=world.admin.user,
    )

    html = admin_client.get(url(world.workspace, "import_preview", job)).content.decode()

    assert (
        "Jira Custom field (Customer): “Customer”: “Globex” is not an option. Options: Acme."
        in html
    )
    assert admin_client.post(url(world.workspace, "import_commit", job)).status_code == 409
    assert not Task.objects.exists()
