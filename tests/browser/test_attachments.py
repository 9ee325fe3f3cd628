"""Attachments in a real browser, at desktop and phone (390 px) widths: upload a file with the
task page's control, paste an image into the comment box and see it in the posted comment; the
screenshots of docs/attachments.md. At phone width nothing scrolls sideways."""

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

PHONE = {"width": 390, "height": 844}
WIDTHS = pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])


def at_width(page: Page, viewport: dict[str, int] | None) -> None:
    if viewport:
        page.set_viewport_size(viewport)
        page.reload()


# What sticks out of the page (not clipped by a scrolling box of its own): the failure message.
WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((el) => !el.parentElement.closest('.attachment-scroll, [style*=overflow]'))
  .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`.slice(0, 80))
  .slice(0, 8)"""


def assert_no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => window.innerWidth")
    wide = page.evaluate(WIDER_THAN_VIEWPORT)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, wide


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


@WIDTHS
def test_a_file_uploads_with_the_control_and_is_listed(
    task_page: Page, world: World, console, viewport
):
    at_width(task_page, viewport)
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
    # Visible (it has a size) is not loaded: wait for the bytes, so a failed download fails here.
    task_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert thumb.evaluate("img => img.naturalWidth") == 40
    assert Attachment.objects.count() == 2
    if viewport:
        assert_no_sideways_scroll(task_page)
        section.scroll_into_view_if_needed()
        expect(section.get_by_role("button", name="Upload")).to_be_in_viewport()
    assert console.errors == []
    if viewport:
        capture(task_page, "attachments-phone")


@WIDTHS
def test_a_refused_file_says_why_and_nothing_is_listed(task_page: Page, console, viewport):
    at_width(task_page, viewport)
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
    if viewport:
        expect(task_page.locator("#attachments [role=alert]")).to_be_in_viewport()
        assert_no_sideways_scroll(task_page)


@WIDTHS
def test_an_image_pasted_into_a_comment_shows_in_the_comment(
    task_page: Page, world: World, console, viewport
):
    at_width(task_page, viewport)
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
    if viewport:
        assert_no_sideways_scroll(task_page)
        # The pasted image fits the phone's width instead of pushing the page sideways.
        assert image.evaluate("img => img.getBoundingClientRect().right") <= PHONE["width"]
        assert console.errors == []
        return
    task_page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays at the top
    capture(task_page, "attachments", full_page=True)
    assert console.errors == []
