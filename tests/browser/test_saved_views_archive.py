"""Archive, restore and delete saved views on the Views page, by keyboard, in real Chromium at
desktop and phone widths: each asks first (a refused confirmation changes nothing), archived
views are listed apart, and an empty list says what to do next. Also docs/work.md's
screenshot of the archived section."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from tasks.saved_views import services
from tasks.saved_views.models import SavedView
from tests.browser.axe import assert_accessible
from tests.browser.screenshots import capture
from tests.browser.test_sprints import WIDTHS
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def press(page: Page, name: str) -> None:
    """Focus the button and press Enter, as a keyboard user does (once the page has loaded)."""
    page.wait_for_load_state("load")
    page.get_by_role("button", name=name, exact=True).press("Enter")


class Confirms:
    """Answers the page's confirm() questions in order (no answer queued: dismiss), and keeps
    what they asked."""

    def __init__(self, page: Page) -> None:
        self.answers: list[bool] = []
        self.messages: list[str] = []
        page.on("dialog", self._handle)

    def _handle(self, dialog: Dialog) -> None:
        self.messages.append(dialog.message)
        if self.answers and self.answers.pop(0):
            dialog.accept()
        else:
            dialog.dismiss()


@pytest.mark.parametrize("viewport", WIDTHS)
def test_a_view_is_archived_restored_and_deleted_by_keyboard(
    logged_in_page: Page, world: World, viewport: dict, console
):
    page = logged_in_page
    page.set_viewport_size(viewport)
    services.saved_view_create(actor=world.member, name="My bugs", query="assignee:me")
    page.goto(f"/w/{world.workspace.slug}/views/")
    expect(page.locator("#saved-views")).to_contain_text("My bugs")
    confirms = Confirms(page)

    # Archive, but say no to the question: nothing changes.
    confirms.answers.append(False)
    press(page, "Archive My bugs")
    page.wait_for_function("() => true")  # the dialog has been answered
    expect(page.locator("#saved-views")).to_contain_text("My bugs")
    assert confirms.messages == [
        "Archive the view “My bugs”? It leaves this list and the palette; you can restore it "
        "from Archived views."
    ]
    assert SavedView.objects.get().archived_at is None

    # Archive for real: it moves to Archived views; the list says what to do next.
    confirms.answers.append(True)
    press(page, "Archive My bugs")
    expect(page.get_by_role("heading", name="Archived views")).to_be_visible()
    expect(page.locator("#archived-views")).to_contain_text("My bugs")
    expect(page.get_by_role("heading", name="No active views")).to_be_visible()
    expect(page.get_by_role("link", name="save a new filter")).to_be_visible()
    assert_accessible(page)
    if viewport["width"] > 800:
        page.evaluate("window.scrollTo(0, 0)")  # the sticky bar stays on top of the capture
        capture(page, "saved-views-archived", full_page=True)

    # Restore (no question: nothing is lost), then delete for good.
    press(page, "Restore My bugs")
    expect(page.locator("#saved-views")).to_contain_text("My bugs")
    expect(page.locator("#archived-views")).to_have_count(0)
    confirms.answers.append(True)
    press(page, "Delete My bugs")
    expect(page.get_by_role("heading", name="No saved views yet")).to_be_visible()
    assert len(confirms.messages) == 3, confirms.messages
    assert "for good" in confirms.messages[-1]
    assert not SavedView.objects.exists()
    assert_accessible(page)
    assert console.errors == []
