from __future__ import annotations

import hashlib

import pytest
from django.db import transaction

from alignment.errors import CrossWorkspaceLink, RoleRequired
from alignment.models import AuditEvent
from attachments import services
from attachments.errors import (
    EmptyFile,
    FileTooLarge,
    FileTypeRefused,
    NoFiles,
    TaskFull,
    TooManyFiles,
    UploadTooLarge,
)
from attachments.models import Attachment
from attachments.storage import new_key, stored_keys
from tasks.services import task_comment_add, task_comment_delete, task_merge
from tests.attachments.conftest import exists, stored
from tests.factories.attachments import EXE_BYTES, attach, png_bytes, upload
from tests.factories.work import TaskFactory


def test_upload_stores_bytes_sniffed_type_and_audit(world, task):
    data = png_bytes()

    [attachment] = services.attachments_add(
        actor=world.member, task=task, files=[upload("shot.png", data, "text/html")]
    )

    assert (attachment.name, attachment.content_type, attachment.size) == (
        "shot.png",
        "image/png",
        len(data),
    )
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.storage_key.startswith(f"{world.workspace.pk}/")
    assert stored(attachment.storage_key) == data
    event = AuditEvent.objects.get(verb="attachment.added")
    assert event.after == {"task": task.key, "name": "shot.png", "size": len(data)}


def test_several_files_are_stored_together(world, task):
    files = [upload(f"n{i}.txt", f"note {i}".encode()) for i in range(3)]
    added = services.attachments_add(actor=world.member, task=task, files=files)
    assert [a.name for a in added] == ["n0.txt", "n1.txt", "n2.txt"]
    assert {a.content_type for a in added} == {"text/plain"}


def _nothing_stored(world) -> bool:
    return not Attachment.objects.exists() and not list(stored_keys())


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        ([], NoFiles, "Choose a file to attach."),
        ([upload("empty.txt", b"")], EmptyFile, "empty.txt is empty."),
        (
            [upload("setup.png", EXE_BYTES)],
            FileTypeRefused,
            "setup.png: programs cannot be attached.",
        ),
        (
            [upload("ok.txt", b"fine"), upload("tool.exe", b"plain text really")],
            FileTypeRefused,
            "tool.exe: programs cannot be attached (by the file's name).",
        ),
        (
            [upload(f"f{i}.txt", b"x") for i in range(4)],
            TooManyFiles,
            "Attach at most 3 files at once (you sent 4).",
        ),
        (
            [upload("ok.txt", b"x"), upload("big.bin", b"\x00" * 2049)],
            FileTooLarge,
            "big.bin is 2.0\xa0KB; a file can be at most 2.0\xa0KB.",
        ),
    ],
    ids=["none", "empty", "exe-renamed-png", "exe-by-name", "too-many", "too-large"],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(
    world, task, settings, files, error, message
):
    settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD = 3
    settings.ATTACHMENTS_MAX_BYTES = 2048

    with pytest.raises(error) as refused:
        services.attachments_add(actor=world.member, task=task, files=files)

    assert refused.value.text == message
    assert refused.value.fields == {"files": [message]}
    assert _nothing_stored(world)
    assert not AuditEvent.objects.filter(verb="attachment.added").exists()


def test_a_task_holds_at_most_the_configured_number(world, task, settings):
    settings.ATTACHMENTS_MAX_PER_TASK = 2
    attach(world.member, task, "a.png")
    with pytest.raises(TaskFull) as refused:
        services.attachments_add(
            actor=world.member, task=task, files=[upload("b.txt", b"b"), upload("c.txt", b"c")]
        )
    assert refused.value.status == 409
    assert "already has 1 attachments; a task holds at most 2" in refused.value.text
    assert Attachment.objects.count() == 1


def test_a_body_that_cannot_fit_is_refused_before_reading(settings):
    settings.ATTACHMENTS_MAX_BYTES = 1000
    settings.ATTACHMENTS_MAX_FILES_PER_UPLOAD = 2
    services.check_upload_length(str(services.max_upload_bytes()))
    with pytest.raises(UploadTooLarge) as refused:
        services.check_upload_length(str(services.max_upload_bytes() + 1))
    assert refused.value.status == 413


def test_a_failure_while_storing_removes_what_was_stored(world, task, monkeypatch):
    real_create = Attachment.objects.create
    calls = []

    def failing_create(**kwargs):
        calls.append(kwargs["name"])
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_create(**kwargs)

    monkeypatch.setattr(Attachment.objects, "create", failing_create)
    with pytest.raises(RuntimeError):
        services.attachments_add(
            actor=world.member, task=task, files=[upload("a.txt", b"a"), upload("b.txt", b"b")]
        )
    assert _nothing_stored(world)


def test_viewers_cannot_upload(world, task):
    with pytest.raises(RoleRequired):
        attach(world.viewer, task)
    assert _nothing_stored(world)


def test_another_workspaces_task_is_not_found(world, world_b):
    other = TaskFactory(team=world_b.team)
    with pytest.raises(CrossWorkspaceLink):
        attach(world.member, other)
    assert _nothing_stored(world)


def test_the_uploader_deletes_and_the_bytes_go_after_commit(
    world, task, django_capture_on_commit_callbacks
):
    attachment = attach(world.member, task)
    key = attachment.storage_key

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.attachment_delete(actor=world.member, attachment=attachment)
    assert exists(key), "bytes must stay until the delete commits"
    for callback in callbacks:
        callback()

    assert not exists(key)
    assert not Attachment.objects.exists()
    event = AuditEvent.objects.get(verb="attachment.deleted")
    assert event.before["name"] == "diagram.png"


def test_a_rolled_back_delete_keeps_the_bytes(world, task, django_capture_on_commit_callbacks):
    attachment = attach(world.member, task)
    pk, key = attachment.pk, attachment.storage_key
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.attachment_delete(actor=world.member, attachment=attachment)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert exists(key)
    assert Attachment.objects.filter(pk=pk).exists()


def test_another_member_cannot_delete_but_an_admin_can(
    world, task, django_capture_on_commit_callbacks
):
    attachment = attach(world.member, task)
    other = attach(world.admin, task, "admins.png")

    with pytest.raises(RoleRequired) as refused:
        services.attachment_delete(actor=world.member, attachment=other)
    assert "Only the person who uploaded this file, or an admin" in refused.value.text
    assert Attachment.objects.filter(pk=other.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(actor=world.admin, attachment=attachment)
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not exists(attachment.storage_key)


def test_a_comment_takes_the_files_it_links_and_they_go_with_it(
    world, task, django_capture_on_commit_callbacks
):
    pasted = attach(world.member, task, "pasted.png")
    elsewhere = attach(world.member, task, "kept.png")
    url = f"/w/{world.workspace.slug}/attachments/{pasted.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        comment = task_comment_add(actor=world.member, task=task, body=f"See ![pasted]({url})")
    pasted.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (pasted.comment_id, elsewhere.comment_id) == (comment.pk, None)

    with django_capture_on_commit_callbacks(execute=True):
        task_comment_delete(actor=world.member, comment=comment)
    assert list(Attachment.objects.values_list("name", flat=True)) == ["kept.png"]
    assert not exists(pasted.storage_key)
    assert exists(elsewhere.storage_key)


def test_a_comment_does_not_take_someone_elses_file(world, task):
    theirs = attach(world.admin, task, "theirs.png")
    url = f"/w/{world.workspace.slug}/attachments/{theirs.pk}/"
    task_comment_add(actor=world.member, task=task, body=f"[look]({url})")
    theirs.refresh_from_db()
    assert theirs.comment_id is None


def test_deleting_a_task_deletes_its_files_and_bytes(
    world, task, django_capture_on_commit_callbacks
):
    attachment = attach(world.member, task)
    with django_capture_on_commit_callbacks(execute=True):
        task.delete()
    assert not Attachment.objects.exists()
    assert not exists(attachment.storage_key)


def test_a_merged_tasks_files_move_with_its_comments(world, task):
    into = TaskFactory(team=world.team)
    attachment = attach(world.member, task)
    task_merge(actor=world.member, source=task, into=into)
    attachment.refresh_from_db()
    assert attachment.task_id == into.pk


def test_orphan_cleanup_removes_only_old_unreferenced_objects(world, task, settings):
    from attachments.storage import attachment_storage

    kept = attach(world.member, task)
    storage = attachment_storage()
    orphan = storage.save(new_key(world.workspace.pk), upload("x", b"left behind"))

    # Just written: it may belong to an upload still committing.
    written = storage.get_modified_time(orphan)
    assert services.orphans_remove(now=written) == []
    later = written + services.ORPHAN_GRACE
    assert services.orphans_remove(now=later, dry_run=True) == [orphan]
    assert exists(orphan)
    assert services.orphans_remove(now=later) == [orphan]
    assert not exists(orphan)
    assert exists(kept.storage_key)


def test_the_cleanup_command_reports_what_it_removes(world, task):
    from io import StringIO

    from django.core.management import call_command

    attach(world.member, task)
    out = StringIO()
    call_command("attachments_cleanup", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "Would remove 0 orphaned file(s)."
