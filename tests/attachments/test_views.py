from __future__ import annotations

import pytest

from attachments.models import Attachment
from tests.attachments.conftest import exists
from tests.factories.attachments import EXE_BYTES, attach, png_bytes, upload
from tests.factories.work import TaskFactory


def section_url(world, task):
    return f"/w/{world.workspace.slug}/tasks/{task.key}/attachments/"


def download_url(world, attachment):
    return f"/w/{world.workspace.slug}/attachments/{attachment.pk}/"


def test_the_task_page_lists_files_with_size_type_uploader_and_date(member_client, world, task):
    attach(world.member, task, "shot.png")
    attach(world.admin, task, "notes.txt", b"some notes")

    page = member_client.get(f"/w/{world.workspace.slug}/tasks/{task.key}/").content.decode()

    assert 'id="attachments"' in page
    assert "shot.png" in page
    assert "notes.txt" in page
    assert "image/png" in page
    assert "text/plain" in page
    assert "10\xa0bytes" in page
    assert world.admin.user.display_name in page
    assert 'name="files"' in page  # a member may upload


def test_viewers_see_files_but_no_upload_or_delete(viewer_client, world, task):
    attach(world.member, task, "shot.png")
    page = viewer_client.get(f"/w/{world.workspace.slug}/tasks/{task.key}/").content.decode()
    assert "shot.png" in page
    assert 'name="files"' not in page
    assert "Delete shot.png" not in page


def test_members_see_delete_only_on_their_own_files(member_client, world, task):
    attach(world.member, task, "mine.png")
    attach(world.admin, task, "theirs.png")
    page = member_client.get(f"/w/{world.workspace.slug}/tasks/{task.key}/").content.decode()
    assert "Delete mine.png" in page
    assert "Delete theirs.png" not in page


def test_uploading_through_the_form_redirects_to_the_task(member_client, world, task):
    response = member_client.post(
        section_url(world, task), {"files": [upload("a.png", png_bytes()), upload("b.txt", b"b")]}
    )
    assert response.status_code == 303
    assert response["Location"].endswith(f"/tasks/{task.key}/#attachments")
    assert sorted(Attachment.objects.values_list("name", flat=True)) == ["a.png", "b.txt"]


def test_uploading_with_htmx_answers_the_section(member_client, world, task):
    response = member_client.post(
        section_url(world, task), {"files": [upload("a.png", png_bytes())]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="attachment-') == 1


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ([("setup.png", EXE_BYTES)], 422, "setup.png: programs cannot be attached."),
        ([("empty.txt", b"")], 422, "empty.txt is empty."),
        ([("big.bin", b"\x01" * 1025)], 413, "big.bin is 1.0\xa0KB; a file can be at most"),
        ([], 400, "Choose a file to attach."),
    ],
)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "form"])
def test_a_refused_upload_shows_the_form_error_and_stores_nothing(
    member_client, world, task, settings, files, status, message, htmx
):
    settings.ATTACHMENTS_MAX_BYTES = 1024
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    uploads = [upload(name, content) for name, content in files]
    response = member_client.post(section_url(world, task), {"files": uploads}, **extra)

    assert response.status_code == status
    body = response.content.decode()
    assert 'role="alert"' in body
    assert message in body
    assert 'name="files"' in body  # the form is there to try again
    assert not Attachment.objects.exists()


def test_an_oversized_body_is_refused_with_413_before_it_is_read(
    member_client, world, task, settings
):
    settings.ATTACHMENTS_MAX_BYTES = 100
    settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD = 1
    response = member_client.post(
        section_url(world, task),
        {"files": [upload("big.bin", b"\x01" * (1024 * 1024 + 200))]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 413
    assert "at most 100\xa0bytes per file, 1 files can be sent at once" in response.content.decode()
    assert not Attachment.objects.exists()


def test_images_are_served_inline_with_safe_headers(viewer_client, world, task):
    attachment = attach(world.member, task, "shot.png")
    response = viewer_client.get(download_url(world, attachment))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="shot.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].endswith("sandbox")
    assert response["Cache-Control"] == "private, max-age=300"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
        ("page.html", b"<!doctype html><script>alert(document.cookie)</script>"),
        ("spec.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    ],
)
def test_anything_else_is_a_sandboxed_download(viewer_client, world, task, name, content):
    attachment = attach(world.member, task, name, content)
    response = viewer_client.get(download_url(world, attachment))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_another_workspaces_file_is_404_under_my_slug_and_its_own(member_client, world, world_b):
    theirs = attach(world_b.member, TaskFactory(team=world_b.team), "secret.png")
    for slug in (world.workspace.slug, world_b.workspace.slug):
        response = member_client.get(f"/w/{slug}/attachments/{theirs.pk}/")
        assert response.status_code == 404
        assert b"PNG" not in response.content


def test_deleting_from_the_page_removes_the_row_and_the_bytes(
    member_client, world, task, django_capture_on_commit_callbacks
):
    attachment = attach(world.member, task, "mine.png")
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            f"/w/{world.workspace.slug}/attachments/{attachment.pk}/delete/", HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert "No files yet." in response.content.decode()
    assert not exists(attachment.storage_key)


def test_a_member_cannot_delete_another_members_file(member_client, world, task):
    theirs = attach(world.admin, task, "theirs.png")
    response = member_client.post(f"/w/{world.workspace.slug}/attachments/{theirs.pk}/delete/")
    assert response.status_code == 403
    assert Attachment.objects.filter(pk=theirs.pk).exists()


def test_the_section_url_without_htmx_leads_to_the_task_page(viewer_client, world, task):
    response = viewer_client.get(section_url(world, task))
    assert response.status_code == 303
    assert response["Location"].endswith(f"/tasks/{task.key}/#attachments")
