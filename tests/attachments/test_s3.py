"""The same attachments against an S3-compatible server: moto's standalone server, which speaks
the S3 protocol over HTTP, started by the fixture on a free loopback port. It skips locally when
the server cannot start and fails under CI=true (tests/services.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from attachments import services
from attachments.models import Attachment
from attachments.storage import attachment_storage
from tests.factories.attachments import EXE_BYTES, attach, png_bytes, upload
from tests.services import require

BUCKET = "alignment-attachments"
CREDENTIALS = {"access_key": "moto-key", "secret_key": "moto-secret"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer

        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
    except Exception as exc:  # not installed, port taken, …
        require(False, f"moto's S3 server ({exc})")
    endpoint = f"http://127.0.0.1:{port}"
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str, settings, fresh_storage) -> Iterator[object]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "location": "attachments",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
                "signature_version": "s3v4",
                **CREDENTIALS,
            },
        },
    }
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _objects(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_an_upload_lands_in_the_bucket_under_a_random_key(s3, world, task):
    attachment = attach(world.member, task, "shot.png")

    assert _objects(s3) == [f"attachments/{attachment.storage_key}"]
    stored = s3.get_object(Bucket=BUCKET, Key=f"attachments/{attachment.storage_key}")
    assert stored["Body"].read() == png_bytes()


def test_downloads_stream_through_the_app_with_safe_headers(s3, world, task, viewer_client):
    attachment = attach(world.member, task, "shot.png")
    response = viewer_client.get(f"/w/{world.workspace.slug}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_presigned_redirects_are_short_lived_and_only_after_the_check(
    s3, world, world_b, task, viewer_client, settings
):
    import httpx

    settings.ATTACHMENTS_S3_REDIRECT = True
    attachment = attach(world.member, task, "notes.html", b"<html><script>x()</script>")
    response = viewer_client.get(f"/w/{world.workspace.slug}/attachments/{attachment.pk}/")

    assert response.status_code == 302
    location = response["Location"]
    assert "X-Amz-Expires=60" in location
    fetched = httpx.get(location)
    assert fetched.status_code == 200
    assert fetched.content == b"<html><script>x()</script>"
    assert fetched.headers["content-type"] == "application/octet-stream"
    assert fetched.headers["content-disposition"] == 'attachment; filename="notes.html"'
    # Another workspace's member gets no URL at all.
    from tests.conftest import client_for

    outsider = client_for(world_b.member.user)
    refused = outsider.get(f"/w/{world.workspace.slug}/attachments/{attachment.pk}/")
    assert refused.status_code == 404
    assert "Location" not in refused


def test_refused_uploads_leave_the_bucket_empty(s3, world, task):
    with pytest.raises(services.FileTypeRefused):
        services.attachments_add(
            actor=world.member,
            task=task,
            files=[upload("ok.txt", b"fine"), upload("setup.png", EXE_BYTES)],
        )
    assert _objects(s3) == []
    assert not Attachment.objects.exists()


def test_deleting_removes_the_object_after_commit(
    s3, world, task, django_capture_on_commit_callbacks
):
    attachment = attach(world.member, task)
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(actor=world.member, attachment=attachment)
    assert _objects(s3) == []


def test_orphan_cleanup_lists_the_bucket(s3, world, task):
    kept = attach(world.member, task)
    s3.put_object(Bucket=BUCKET, Key=f"attachments/{world.workspace.pk}/leftover", Body=b"x")
    storage = attachment_storage()
    later = storage.get_modified_time(f"{world.workspace.pk}/leftover") + services.ORPHAN_GRACE

    assert services.orphans_remove(now=later) == [f"{world.workspace.pk}/leftover"]
    assert _objects(s3) == [f"attachments/{kept.storage_key}"]
