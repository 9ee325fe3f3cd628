"""Steps of the OKR CSV import as a user takes them, shared by the import tests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from integrations.importers import okr_csv
from integrations.models import ImportJob, ImportKind

HEADER = (
    "period,objective,level,team,objective_owner_email,parent_objective,key_result,kind,unit,"
    "baseline,target,current,source,key_result_owner_email\n"
)


def url(world, name: str, job: ImportJob | None = None) -> str:
    kwargs: dict[str, object] = {"slug": world.workspace.slug}
    if job is not None:
        kwargs["import_job_id"] = job.pk
    return reverse(f"integrations:{name}", kwargs=kwargs)


def upload(client, world, text: str, name: str = "okrs.csv"):
    data = SimpleUploadedFile(name, text.encode(), "text/csv")
    return client.post(url(world, "import_okrs_upload"), {"file": data})


def upload_and_map(client, world, text: str) -> ImportJob:
    """Upload, then accept the guessed mapping as the page offers it."""
    response = upload(client, world, text)
    assert response.status_code == 303, response.content.decode()[-2000:]
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == url(world, "import_mapping", job)
    page = client.get(response["Location"])
    assert page.status_code == 200
    posted = {name: column for name, column in job.mapping.items() if column}
    mapped = client.post(url(world, "import_mapping", job), posted)
    assert mapped.status_code == 303
    assert mapped["Location"] == url(world, "import_preview", job)
    job.refresh_from_db()
    return job


def commit(client, world, job: ImportJob, capture) -> None:
    with capture(execute=True):
        response = client.post(url(world, "import_commit", job))
    assert response.status_code == 303, okr_csv.preview(job).job_errors()
    assert response["Location"] == url(world, "import_progress", job)


def draft(world, text: str) -> ImportJob:
    """A job with the guessed mapping, as if uploaded and mapped."""
    header = okr_csv.header_of(text)
    return ImportJob.objects.create(
        workspace=world.workspace,
        kind=ImportKind.OKRS_CSV,
        source=text,
        mapping=okr_csv.guess_mapping(header),
        created_by=world.admin.user,
    )
