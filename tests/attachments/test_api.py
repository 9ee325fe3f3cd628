from __future__ import annotations

import pytest

from attachments.models import Attachment
from tests.attachments.conftest import exists
from tests.factories.attachments import EXE_BYTES, attach, png_bytes, upload
from tests.factories.work import TaskFactory

BASE = "/api/v1/workspaces/acme-inc"


def files_url(task):
    return f"{BASE}/tasks/{task.key}/attachments/"


def test_upload_answers_the_stored_files(member_api, world, task):
    response = member_api.post(
        files_url(task), {"files": [upload("shot.png", png_bytes(), "text/plain")]}
    )

    assert response.status_code == 201
    [body] = response.json()
    attachment = Attachment.objects.get()
    assert body["id"] == attachment.pk
    assert (body["task"], body["name"], body["content_type"], body["is_image"]) == (
        task.key,
        "shot.png",
        "image/png",
        True,
    )
    assert body["size"] == len(png_bytes())
    assert body["uploaded_by"] == {
        "id": world.member.user.pk,
        "full_name": world.member.user.full_name,
    }
    assert body["url"] == f"/w/acme-inc/attachments/{attachment.pk}/"
    assert body["content_url"] == f"{BASE}/attachments/{attachment.pk}/content/"
    assert body["markdown"] == f"![shot.png](/w/acme-inc/attachments/{attachment.pk}/)"


def test_list_and_retrieve(viewer_api, world, task):
    first = attach(world.member, task, "a.png")
    attach(world.member, task, "b.txt", b"bee")
    attach(world.member, TaskFactory(team=world.team), "elsewhere.txt", b"x")

    listed = viewer_api.get(files_url(task)).json()
    assert [row["name"] for row in listed["results"]] == ["a.png", "b.txt"]
    assert listed["results"][1]["markdown"].startswith("[b.txt](")

    one = viewer_api.get(f"{BASE}/attachments/{first.pk}/")
    assert one.status_code == 200
    assert one.json()["name"] == "a.png"


def test_content_comes_with_the_safe_headers(viewer_api, world, task):
    attachment = attach(world.member, task, "page.html", b"<html><script>x()</script>")
    response = viewer_api.get(f"{BASE}/attachments/{attachment.pk}/content/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<html><script>x()</script>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([("setup.png", EXE_BYTES)], 422, "file_type_refused"),
        ([("empty.txt", b"")], 422, "empty_file"),
        ([("big.bin", b"\x01" * 1025)], 413, "file_too_large"),
        ([(f"f{i}.txt", b"x") for i in range(3)], 400, "too_many_files"),
        ([], 400, "no_files"),
    ],
)
def test_bad_uploads_are_clear_json_errors(member_api, task, settings, files, status, code):
    settings.ATTACHMENTS_MAX_BYTES = 1024
    settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD = 2
    response = member_api.post(
        files_url(task), {"files": [upload(name, content) for name, content in files]}
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["fields"]["files"] == [error["message"]]
    assert not Attachment.objects.exists()


def test_a_body_over_the_limit_is_413_unread(member_api, task, settings):
    settings.ATTACHMENTS_MAX_BYTES = 10
    settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD = 1
    response = member_api.post(files_url(task), {"files": [upload("a.bin", b"\x01" * 1_100_000)]})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"


def test_json_is_not_an_upload(member_api, task):
    response = member_api.post(files_url(task), "{}", content_type="application/json")
    assert response.status_code == 415
    assert response.json()["error"]["message"]


def test_a_retry_with_the_same_idempotency_key_stores_once(member_api, task):
    def send():
        return member_api.post(
            files_url(task),
            {"files": [upload("a.png", png_bytes())]},
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, again = send(), send()
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Attachment.objects.count() == 1


def test_viewers_cannot_upload_and_members_cannot_delete_others_files(
    viewer_api, member_api, world, task
):
    refused = viewer_api.post(files_url(task), {"files": [upload("a.png", png_bytes())]})
    assert refused.status_code == 403
    theirs = attach(world.admin, task)
    refused = member_api.delete(f"{BASE}/attachments/{theirs.pk}/")
    assert refused.status_code == 403
    assert Attachment.objects.filter(pk=theirs.pk).exists()


def test_delete_by_the_uploader(member_api, world, task, django_capture_on_commit_callbacks):
    mine = attach(world.member, task)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_api.delete(f"{BASE}/attachments/{mine.pk}/")
    assert response.status_code == 204
    assert not exists(mine.storage_key)


def test_another_workspaces_file_is_404(member_api, world_b):
    theirs = attach(world_b.member, TaskFactory(team=world_b.team))
    for suffix in ("", "content/"):
        assert member_api.get(f"{BASE}/attachments/{theirs.pk}/{suffix}").status_code == 404
    assert member_api.delete(f"{BASE}/attachments/{theirs.pk}/").status_code == 404
    assert Attachment.objects.filter(pk=theirs.pk).exists()


def test_the_schema_describes_the_upload_and_its_refusals(client):
    schema = client.get("/api/schema/?format=json").json()
    upload_op = schema["paths"]["/api/v1/workspaces/{slug}/tasks/{key}/attachments/"]["post"]
    body = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    assert {"201", "400", "403", "404", "409", "413", "422"} <= set(upload_op["responses"])
    content_op = schema["paths"]["/api/v1/workspaces/{slug}/attachments/{id}/content/"]["get"]
    assert "application/octet-stream" in content_op["responses"]["200"]["content"]
