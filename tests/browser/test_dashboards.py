"""Dashboards in a real browser: finish the last open task of a KR's roadmap item on the board
and see the leader dashboard's progress and status change once the worker has run (Celery is
eager here); and the screenshots of docs/dashboards.md."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alignment import demo
from dashboards import rollups
from dashboards.demo import seed_dashboards
from okrs.demo import seed_okrs
from roadmaps.models import KeyResultLink
from tasks.demo import seed_work
from tasks.models import StateCategory as C
from tasks.models import Task
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.dashboards.conftest import Plan, plan, today  # noqa: F401, F811 - fixtures
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def last_open(plan: Plan) -> Task:  # noqa: F811
    """The KR "Ship the platform" moves through one item: 1 point done, 3 points still open."""
    KeyResultLink.objects.filter(item=plan.item_b).delete()
    plan.task(item=plan.item_a, estimate="1", category=C.DONE, sprint=plan.sprint)
    task = plan.task(item=plan.item_a, estimate="3", category=C.UNSTARTED, sprint=plan.sprint)
    rollups.recompute_all(plan.world.workspace)
    return task


def column(page: Page, name: str):
    return page.locator(".board-column", has=page.get_by_role("heading", name=name, exact=True))


def test_finishing_the_last_open_task_moves_the_leader_dashboard(
    page: Page,
    plan: Plan,  # noqa: F811
    last_open: Task,
    console,
):
    slug = plan.world.workspace.slug
    log_in(page, email=plan.world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")
    page.get_by_role("link", name="Leader dashboard").click()
    company = page.locator(f"#objective-{plan.company.pk}")
    expect(company.locator(".progress-value")).to_have_text("33%")
    expect(company.locator(".node-status")).to_have_text("At risk")
    at_risk = page.locator(f"#risk-key_result-{plan.from_work.pk}")
    expect(at_risk).to_contain_text("Progress is 25% but 50% of the period has passed")

    page.goto(f"/w/{slug}/teams/{plan.team.pk}/board/")
    card = page.locator(f"#task-{last_open.key}")
    card.drag_to(column(page, "Done").locator("[data-drop-zone]"))
    # The server answered (the card carries the new version): the job ran after its commit.
    expect(column(page, "Done").locator(f"#task-{last_open.key}")).to_have_attribute(
        "data-version", str(last_open.version + 1)
    )

    page.goto(f"/w/{slug}/dashboards/")
    # (2 × 100% + 1 × 50%) / 3 with the KR's item finished.
    expect(company.locator(".progress-value")).to_have_text("83%")
    expect(company.locator(".node-status")).to_have_text("On track")
    expect(page.locator(f"#risk-key_result-{plan.from_work.pk}")).to_have_count(0)
    assert console.errors == []


def test_docs_screenshots_of_the_dashboards(page: Page, db):
    company = demo.seed_company()
    day = timezone.localdate()
    for seed in (seed_okrs, seed_work, seed_dashboards):
        seed(workspace=company.workspace, teams=company.teams, people=company.people, today=day)
    owner = company.people[demo.PEOPLE[0][0]]
    log_in(page, email=owner.email, password=demo.DEMO_PASSWORD)
    slug = company.workspace.slug
    page.goto(f"/w/{slug}/dashboards/")
    expect(page.get_by_role("heading", name="Leader dashboard")).to_be_visible()
    capture(page, "dashboards-leader", full_page=True)
    team = next(iter(company.teams.values()))
    page.goto(f"/w/{slug}/dashboards/teams/{team.pk}/")
    expect(page.get_by_role("heading", name="Burndown")).to_be_visible()
    capture(page, "dashboards-team", full_page=True)
