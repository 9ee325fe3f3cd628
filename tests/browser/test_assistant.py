"""The assistant in a real browser: a member drafts an objective from one sentence, edits a
key result and accepts; then the objective's "what changed" summary links its records."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from okrs.models import Objective
from tests.browser.axe import assert_accessible
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.okrs import PeriodFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_draft_edit_accept_and_read_the_cited_summary(page: Page, world: World, console):
    slug = world.workspace.slug
    PeriodFactory(workspace=world.workspace, name="This quarter")
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")

    page.goto(f"/w/{slug}/okrs/objectives/new/")
    page.get_by_role("link", name="Draft with assistant").click()
    page.get_by_label("What do you want to achieve?").fill(
        "Make onboarding effortless for new teams"
    )
    page.get_by_role("button", name="Draft").click()
    table = page.locator("#draft-key-results")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_label("Key result 1 title")).to_have_value(
        "Time to first value from 5 to 2 days"
    )
    assert_accessible(page)
    capture(page, "assistant-draft", full_page=True)

    # The member edits the baseline to their own number and drops the third key result.
    page.get_by_label("Key result 1 title").fill("Time to first value from 6 to 2 days")
    page.get_by_label("Key result 1 baseline").fill("6")
    page.get_by_label("Keep key result 3").uncheck()
    page.get_by_label("Team").select_option(label=world.team.name)
    page.get_by_role("button", name="Accept and create").click()
    page.wait_for_url(f"**/w/{slug}/okrs/objectives/*/")
    objective = Objective.objects.get(title="Make onboarding effortless for new teams")
    krs = list(objective.key_results.order_by("position"))
    assert [(k.title, float(k.baseline)) for k in krs] == [
        ("Time to first value from 6 to 2 days", 6.0),
        ("Activation rate of new teams from 30% to 45%", 30.0),
    ]

    page.get_by_role("link", name="What changed this week (assistant)").click()
    summary = page.locator("#assistant-summary")
    expect(summary.locator("li")).to_have_count(3)
    expect(summary).to_contain_text("had no check-in this week")
    citation = summary.locator("a.citation").first
    expect(citation).to_have_attribute("href", f"/w/{slug}/okrs/objectives/{objective.pk}/")
    assert_accessible(page)
    capture(page, "assistant-summary", full_page=True)
    citation.click()
    page.wait_for_url(f"**/okrs/objectives/{objective.pk}/")
    assert console.errors == []
