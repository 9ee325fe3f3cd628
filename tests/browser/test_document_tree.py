"""Moving and deleting a document in a real browser: a member moves it under another through
the select, then deletes it, accepting the confirmation; the top bar search and the task's
"Mentioned in documents" and the command palette find it on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from documents import services
from documents.models import Document
from tests.conftest import World
from tests.factories.work import TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_member_moves_then_deletes_a_document(logged_in_page: Page, world: World) -> None:
    page = logged_in_page
    task = TaskFactory(team=world.team, title="Wire up billing")
    handbook = services.create_document(actor=world.member, title="Handbook")
    draft = services.create_document(
        actor=world.member, title="Billing draft", text=f"Plan for @task:{task.key}"
    )

    page.goto(f"/w/{world.workspace.slug}/tasks/{task.key}/")
    backlinks = page.locator(".document-backlinks")
    expect(backlinks.get_by_role("link", name="Billing draft")).to_be_visible()

    # The command palette finds it through the search endpoint, and Enter opens it.
    page.keyboard.press("Control+k")
    field = page.get_by_role("combobox", name="Go to a page, run an action or find work")
    field.fill("billing draft")
    options = page.locator("#palette-list [role=option]")
    hit = options.filter(has_text="Billing draft").filter(has_text="Document")
    expect(hit).to_have_count(1)
    hit.click()
    page.wait_for_url(f"**/w/{world.workspace.slug}/documents/{draft.pk}/")
    page.get_by_label("Inside").select_option(label="Handbook")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text("Moved inside “Handbook”.")).to_be_visible()
    assert Document.objects.get(pk=draft.pk).parent_id == handbook.pk

    asked: list[str] = []

    def accept(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Delete document").click()
    page.wait_for_url(f"**/w/{world.workspace.slug}/documents/")
    assert asked
    assert "Billing draft" in asked[0]
    expect(page.get_by_text("“Billing draft” deleted")).to_be_visible()
    assert not Document.objects.filter(pk=draft.pk).exists()


def test_delete_asks_first_even_when_the_page_scripts_have_not_loaded(
    logged_in_page: Page, world: World
) -> None:
    """The confirmation must not wait for the page's deferred scripts: a click on Delete
    during a slow load once deleted without asking. Here app.js never arrives at all."""
    page = logged_in_page
    draft = services.create_document(actor=world.member, title="Keep me")
    page.route("**/js/app*.js", lambda route: route.abort())
    page.goto(f"/w/{world.workspace.slug}/documents/{draft.pk}/")
    asked: list[str] = []

    def dismiss(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Delete document").click()
    expect(page.get_by_role("button", name="Delete document")).to_be_visible()
    assert len(asked) == 1
    assert "Keep me" in asked[0]
    assert Document.objects.filter(pk=draft.pk).exists()
