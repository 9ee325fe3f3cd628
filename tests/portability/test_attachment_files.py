"""Attachments travel in a workspace archive: rows in workspace.json, bytes in files/."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from alignment.models import Workspace
from attachments.models import Attachment
from attachments.storage import attachment_storage, stored_keys
from portability import archive
from portability.exporter import export_document
from portability.importer import import_document
from tasks.services import task_comment_add
from tests.attachments.conftest import fresh_storage  # noqa: F401 (an empty folder per test)
from tests.factories.attachments import attach, png_bytes
from tests.factories.work import TaskFactory


def _read(key: str) -> bytes:
    with attachment_storage().open(key, "rb") as handle:
        return handle.read()


@pytest.fixture
def with_files(world):
    task = TaskFactory(team=world.team)
    image = attach(world.member, task, "shot.png", png_bytes(3, 3))
    url = f"/w/{world.workspace.slug}/attachments/{image.pk}/"
    comment = task_comment_add(actor=world.member, task=task, body=f"![shot]({url})")
    notes = attach(world.admin, task, "notes.txt", b"meeting notes\n")
    return task, image, notes, comment


def test_export_writes_each_files_bytes_and_import_stores_them_anew(world, with_files, tmp_path):
    task, image, notes, comment = with_files
    target = tmp_path / "acme.zip"
    call_command("export_workspace", world.workspace.slug, "-o", str(target), stdout=io.StringIO())

    with zipfile.ZipFile(target) as members:
        names = set(members.namelist())
        assert f"files/attachments.attachment/{image.pk}" in names
        assert members.read(f"files/attachments.attachment/{notes.pk}") == b"meeting notes\n"

    out = io.StringIO()
    call_command("import_workspace", str(target), "--slug", "acme-copy", stdout=out)

    copy = Workspace.objects.get(slug="acme-copy")
    copied = {a.name: a for a in Attachment.objects.for_workspace(copy).select_related("comment")}
    assert set(copied) == {"shot.png", "notes.txt"}
    for original in (image, notes):
        twin = copied[original.name]
        assert (twin.size, twin.sha256, twin.content_type) == (
            original.size,
            original.sha256,
            original.content_type,
        )
        assert twin.storage_key != original.storage_key
        assert twin.storage_key.startswith(f"{copy.pk}/")
        assert _read(twin.storage_key) == _read(original.storage_key)
    assert copied["shot.png"].comment.body == comment.body
    assert copied["shot.png"].comment.workspace_id == copy.pk
    assert copied["shot.png"].task.workspace_id == copy.pk
    # The original's files are untouched, and each file is stored once per workspace.
    assert len(list(stored_keys())) == 4


def test_a_damaged_file_refuses_the_import_and_stores_nothing(world, with_files, tmp_path):
    document = export_document(world.workspace)
    buffer = io.BytesIO()
    archive.write(buffer, document)
    damaged = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(damaged, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info, b"tampered" if info.filename.startswith("files/att") else data)
    before = sorted(stored_keys())

    with zipfile.ZipFile(damaged) as members, pytest.raises(archive.ArchiveError, match="damaged"):
        import_document(
            json.loads(members.read("workspace.json")), slug="acme-bad", files=members.open
        )

    assert not Workspace.objects.filter(slug="acme-bad").exists()
    assert sorted(stored_keys()) == before


def test_an_archive_without_its_files_is_refused(world, with_files):
    document = json.loads(json.dumps(export_document(world.workspace), default=str))
    with pytest.raises(archive.ArchiveError, match="import the whole ZIP"):
        import_document(document, slug="acme-json-only")
    with pytest.raises(archive.ArchiveError, match="lacks files/"):
        import_document(document, slug="acme-missing", files=zipfile.ZipFile(_empty_zip()).open)
    assert Attachment.objects.count() == 2


def _empty_zip() -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("workspace.json", "{}")
    buffer.seek(0)
    return buffer


def test_exporting_with_a_file_missing_from_storage_says_which(world, with_files, tmp_path):
    _, image, _, _ = with_files
    attachment_storage().delete(image.storage_key)
    with pytest.raises(CommandError, match=f"attachments.attachment {image.pk}: its file"):
        call_command(
            "export_workspace",
            world.workspace.slug,
            "-o",
            str(tmp_path / "x.zip"),
            stdout=io.StringIO(),
        )
