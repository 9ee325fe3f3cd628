"""Search in a real browser, by keyboard alone, at desktop and phone (390 px) widths: a
qualifier the syntax does not know gets its message, a corrected query finds a comment, and
Enter on it opens that comment on its task. At phone width nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tasks.services import task_comment_add
from tests.browser.axe import assert_accessible
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.work import LabelFactory, TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


def assert_no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => window.innerWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_query_is_corrected_and_a_comment_hit_opens_on_its_task(
    logged_in_page: Page, world: World, console, viewport
):
    page = logged_in_page
    if viewport:
        page.set_viewport_size(viewport)
    suffix = "-phone" if viewport else ""
    LabelFactory(workspace=world.workspace, name="bug")
    task = TaskFactory(team=world.team, title="Quarterly cleanup")
    comment = task_comment_add(
        actor=world.member, task=task, body="The flaky checkout test fails on Mondays."
    )
    page.goto(f"/w/{world.workspace.slug}/search/")
    expect(page.locator("#search-syntax-hint")).to_contain_text("assignee:")
    assert_accessible(page)

    box = page.get_by_label(f"Search {world.workspace.name}")
    box.focus()
    page.keyboard.type("checkout owner:me")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Unknown qualifier “owner:”")
    if viewport:
        assert_no_sideways_scroll(page)
    capture(page, f"search-unknown-qualifier{suffix}")

    box = page.get_by_label(f"Search {world.workspace.name}")
    box.fill("")
    box.focus()
    page.keyboard.type("flaky checkout")
    page.keyboard.press("Enter")
    hit = page.locator(".search-page-list").get_by_role("link", name=f"{task.key} {task.title}")
    expect(hit).to_be_visible()
    if viewport:
        assert_no_sideways_scroll(page)
        expect(hit).to_be_in_viewport()
    capture(page, f"search-comment-hit{suffix}")
    assert_accessible(page)
    hit.focus()
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/tasks/{task.key}/#comment-{comment.pk}")
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("flaky checkout")
    assert console.errors == []
