"""Roadmaps in a real browser: create a roadmap from the Roadmaps page, add an item with a team
and dates, link it to key results with weights, and find its bar on the timeline, whose title
leads back to the item's page. And the picture of docs/work.md."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alignment.models import Team
from okrs.models import ObjectiveLevel
from roadmaps.models import KeyResultLink, RoadmapItem
from tasks import services as tasks
from tasks.models import StateCategory
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ITEM = "One-page checkout"


@pytest.fixture
def key_results(world: World) -> dict[str, str]:
    """Two key results of an open quarter, by the label the link form shows for each."""
    today = timezone.localdate()
    period = PeriodFactory(
        workspace=world.workspace,
        name="This quarter",
        start=today - timedelta(days=30),
        end=today + timedelta(days=60),
    )
    objective = ObjectiveFactory(
        period=period,
        title="Make buying effortless",
        level=ObjectiveLevel.TEAM,
        team=world.team,
        owner=world.member.user,
    )
    conversion = KeyResultFactory(
        objective=objective, title="Checkout conversion from 2.1% to 3%", unit="%"
    )
    latency = KeyResultFactory(objective=objective, title="p95 checkout time from 9 s to 3 s")
    return {kr.title: f"{objective.title} → {kr.title}" for kr in (conversion, latency)}


def link(page: Page, label: str, weight: str) -> None:
    page.get_by_label("Key result").select_option(label=label)
    page.get_by_label("Weight").fill(weight)
    page.get_by_role("button", name="Link key result").click()


def test_a_roadmap_item_is_created_linked_to_key_results_and_drawn_on_the_timeline(
    page: Page, world: World, key_results: dict[str, str], console
):
    payments = Team.objects.create(workspace=world.workspace, name="Payments", key="PAY")
    slug = world.workspace.slug
    today = timezone.localdate()
    start, target = today - timedelta(days=14), today + timedelta(days=42)
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")

    page.get_by_role("link", name="Roadmaps", exact=True).click()
    expect(page.get_by_role("heading", name="No roadmaps yet")).to_be_visible()
    page.get_by_role("link", name="Create the first roadmap").click()
    page.get_by_label("Name").fill("Checkout 2026")
    page.get_by_label("Description").fill("Everything that makes paying faster.")
    page.get_by_role("button", name="Create roadmap").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout 2026")
    expect(page.get_by_role("status")).to_contain_text("Roadmap Checkout 2026 created.")
    timeline_url = page.url

    page.get_by_role("link", name="New item").click()
    page.get_by_label("Title").fill(ITEM)
    page.get_by_label("Kind").select_option(label="Initiative")
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_label("Owning team").select_option(label="PAY · Payments")
    page.get_by_label("Start").fill(start.isoformat())
    page.get_by_label("Target").fill(target.isoformat())
    page.get_by_label("Description").fill("Address, shipping and payment on one page.")
    page.get_by_role("button", name="Add item").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(ITEM)
    item = RoadmapItem.objects.get(workspace=world.workspace, title=ITEM)
    assert (item.owner_team, item.start_date, item.target_date) == (payments, start, target)
    item_path = f"/w/{slug}/roadmaps/{item.roadmap_id}/items/{item.pk}/"
    assert page.url.endswith(item_path)
    header = page.locator(".page-header")
    expect(header).to_contain_text("Payments")
    expect(header).to_contain_text(f"{start:%b} {start.day}, {start.year}")
    expect(page.get_by_role("heading", name="Not linked to any key result")).to_be_visible()

    link(page, key_results["Checkout conversion from 2.1% to 3%"], "2")
    expect(page.get_by_role("status")).to_contain_text(
        f"{ITEM} now counts towards “Checkout conversion from 2.1% to 3%”."
    )
    link(page, key_results["p95 checkout time from 9 s to 3 s"], "0.5")
    rows = page.locator("#key-results table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Checkout conversion from 2.1% to 3%")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("2.00")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("0.50")
    weights = KeyResultLink.objects.filter(item=item).values_list("weight", flat=True)
    assert sorted(weights) == [Decimal("0.50"), Decimal("2.00")]

    # Tasks pick the item in their "Roadmap item" field; two of them make the Work section real.
    for title, category in (
        ("Merge the address and shipping steps", StateCategory.DONE),
        ("Pay with a saved card in one tap", StateCategory.STARTED),
    ):
        task = tasks.task_create(
            actor=world.member,
            team=payments,
            title=title,
            roadmap_item=item,
            estimate=3,
            assignee=world.member.user,
        )
        tasks.task_transition(actor=world.member, task=task, to_state=state_of(payments, category))
    page.reload()
    expect(page.locator("#work")).to_contain_text("1 of 2 tasks done")
    capture(page, "roadmap-item", full_page=True)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Checkout 2026"
    ).click()
    assert page.url == timeline_url
    row = page.locator(f"#item-{item.pk}")
    expect(row.locator("rect.tl-bar")).to_have_count(1)
    expect(row.locator("rect.tl-bar title")).to_have_text(
        re.compile(rf"^{ITEM} · {start:%b} {start.day} – ")
    )
    expect(row.locator("svg.tl-track")).to_have_attribute(
        "aria-label",
        f"{ITEM}: {start:%b} {start.day}, {start.year} to {target:%b} {target.day}, {target.year}",
    )
    title = row.get_by_role("link", name=ITEM)
    expect(title).to_have_attribute("href", item_path)
    title.click()
    page.wait_for_url(f"**{item_path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(ITEM)
    assert console.errors == []
