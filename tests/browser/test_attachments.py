"""Attachments in a real browser: upload a file with the task page's control, paste an image
into the comment box and see it in the posted comment; the screenshot of docs/attachments.md."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import Page, expect

from attachments.models import Attachment
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.attachments import png_bytes
from tests.factories.work import TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASTE_IMAGE = """(textarea, data) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "image.png", { type: "image/png" }));
  textarea.focus();
  textarea.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true }));
}"""


@pytest.fixture
def task_page(logged_in_page: Page, world: World, fresh_storage) -> Page:
    task = TaskFactory(
        team=world.team, title="Checkout button misaligned on Safari", created_by=world.member.user
    )
    logged_in_page.goto(f"/w/{world.workspace.slug}/tasks/{task.key}/")
    return logged_in_page


@pytest.fixture
def fresh_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments"), "base_url": None},
        },
    }


def test_a_file_uploads_with_the_control_and_is_listed(task_page: Page, world: World, console):
    section = task_page.locator("#attachments")
    section.get_by_label("Add files").set_input_files(
        [
            {"name": "safari-layout.png", "mimeType": "image/png", "buffer": png_bytes(40, 24)},
            {"name": "repro-steps.txt", "mimeType": "text/plain", "buffer": b"1. Open checkout"},
        ]
    )
    section.get_by_role("button", name="Upload").click()

    rows = task_page.locator("#attachments tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("safari-layout.png")
    expect(rows.nth(0)).to_contain_text("image/png")
    expect(rows.nth(1)).to_contain_text("repro-steps.txt")
    expect(rows.nth(1)).to_contain_text(world.member.user.display_name)
    expect(task_page.locator("#attachments .attachment-status")).to_have_text("Uploaded.")
    thumb = rows.nth(0).locator("img.attachment-thumb")
    expect(thumb).to_be_visible()
    assert thumb.evaluate("img => img.naturalWidth") == 40
    assert Attachment.objects.count() == 2
    assert console.errors == []


def test_a_refused_file_says_why_and_nothing_is_listed(task_page: Page, console):
    section = task_page.locator("#attachments")
    section.get_by_label("Add files").set_input_files(
        {"name": "invoice.png", "mimeType": "image/png", "buffer": b"MZ\x90\x00" + b"\x00" * 300}
    )
    section.get_by_role("button", name="Upload").click()

    expect(task_page.locator("#attachments [role=alert]")).to_contain_text(
        "invoice.png: programs cannot be attached."
    )
    expect(task_page.locator("#attachments tbody tr")).to_have_count(0)
    assert not Attachment.objects.exists()


def test_an_image_pasted_into_a_comment_shows_in_the_comment(
    task_page: Page, world: World, console
):
    box = task_page.get_by_label("Comment", exact=True)
    box.fill("Here is what it looks like:\n")
    box.evaluate("t => { t.selectionStart = t.selectionEnd = t.value.length; }")
    box.evaluate(PASTE_IMAGE, base64.b64encode(png_bytes(64, 32)).decode())

    expect(box).to_have_value(
        re.compile(r"!\[pasted-\d{8}-\d{6}\.png\]\(/w/[\w-]+/attachments/\d+/\)")
    )
    expect(task_page.locator(".paste-status")).to_contain_text("Attached pasted-")
    task_page.get_by_role("button", name="Comment", exact=True).click()

    image = task_page.locator("#comments .comment .markdown img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 64
    attachment = Attachment.objects.get()
    assert attachment.comment is not None
    assert attachment.uploaded_by == world.member.user
    expect(task_page.locator("#attachments tbody tr")).to_contain_text("in a comment")
    task_page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays at the top
    capture(task_page, "attachments", full_page=True)
    assert console.errors == []
