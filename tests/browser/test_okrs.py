"""OKRs in a real browser: write an objective with two key results, check in, see the tree
move; and the screenshots of docs/okrs.md."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alignment.models import Team
from okrs import services
from okrs.models import ObjectiveLevel, Period
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def period(world: World) -> Period:
    today = timezone.localdate()
    return PeriodFactory(
        workspace=world.workspace,
        name="This quarter",
        start=today - timedelta(days=45),
        end=today + timedelta(days=45),
    )


def add_key_result(page: Page, title: str, baseline: str, target: str) -> None:
    page.get_by_label("Title").fill(title)
    page.get_by_label("Kind").select_option("percentage")
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Baseline").fill(baseline)
    page.get_by_label("Target").fill(target)
    page.get_by_role("button", name="Add key result").click()


def tree_percentage(page: Page, title: str):
    node = page.locator(".tree-node", has=page.get_by_role("link", name=title, exact=True))
    return node.locator(".node-row .pct").first


def test_a_check_in_moves_the_objectives_progress_in_the_tree(
    logged_in_page: Page, world: World, period: Period, console
):
    page = logged_in_page
    title = "Make onboarding effortless for new teams"

    page.get_by_role("link", name="OKRs").click()
    page.get_by_role("link", name="Write your team's first objective").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Team").select_option(label=str(world.team))
    page.get_by_role("button", name="Create objective").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    page.get_by_role("link", name="Add the first key result").click()
    add_key_result(page, "Raise activation from 40% to 60%", "40", "60")
    page.get_by_role("link", name="Add key result").click()
    add_key_result(page, "Lift trial NPS from 30 to 50", "30", "50")
    rows = page.locator("table.explanation tbody tr")
    expect(rows).to_have_count(2)

    page.get_by_role("link", name="OKRs", exact=True).first.click()
    expect(tree_percentage(page, title)).to_have_text("0%")

    page.get_by_role("link", name=title).click()
    # "Check in" opens a dialog once app.js (deferred) has run; before, it is a plain link to
    # the check-in page (the no-JavaScript fallback), which a loaded CI machine once followed.
    page.wait_for_load_state("load")
    page.locator("#explanation").get_by_role("link", name="Check in").first.click()
    dialog = page.get_by_role("dialog", name="Check in: Raise activation from 40% to 60%")
    expect(dialog).to_be_visible()
    dialog.get_by_label("New value (%)").fill("50")
    dialog.get_by_label("Confidence (0–10)").fill("7")
    dialog.get_by_label("Note").fill("The guided tour shipped.")
    dialog.get_by_role("button", name="Save check-in").click()

    expect(dialog).to_be_hidden()
    expect(rows.first.locator(".pct")).to_have_text("50%")
    expect(page.locator("#objective-progress")).to_have_text("25%")
    page.get_by_role("link", name="OKRs", exact=True).first.click()
    expect(tree_percentage(page, title)).to_have_text("25%")
    assert console.errors == []


def test_an_invalid_check_in_keeps_the_dialog_open_with_the_message(
    logged_in_page: Page, world: World, period: Period
):
    objective = ObjectiveFactory(period=period, team=world.team, owner=world.member.user)
    KeyResultFactory(objective=objective, title="Weekly active teams from 40 to 80", unit="teams")
    page = logged_in_page

    page.goto(objective.get_absolute_url())
    page.get_by_role("link", name="Check in").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("New value (teams)").fill("50")
    dialog.get_by_label("Confidence (0–10)").fill("12")
    dialog.get_by_role("button", name="Save check-in").click()

    expect(dialog.get_by_role("alert")).to_contain_text("less than or equal to 10")
    expect(dialog).to_be_visible()


def test_the_smart_panel_reviews_an_objective_while_typing(
    logged_in_page: Page, world: World, period: Period
):
    page = logged_in_page
    page.goto(f"/w/{world.workspace.slug}/okrs/objectives/new/")

    page.get_by_label("Title").fill("Improve quality")

    panel = page.locator("#smart-panel")
    expect(panel).to_contain_text("“improve” without a measure leaves “done” open to opinion.")
    expect(panel).to_contain_text("not aligned to any company objective")


def build_story(world: World, period: Period) -> int:
    """A small company → team → individual tree with check-ins: on track, at risk, off track."""
    admin, member = world.admin, world.member
    sales = Team.objects.create(workspace=world.workspace, name="Sales", key="SAL")
    company = services.objective_create(
        actor=admin,
        period=period,
        title="Become the easiest planning tool to start with",
        level=ObjectiveLevel.COMPANY,
        owner=admin.user,
    )
    onboarding = services.objective_create(
        actor=member,
        period=period,
        title="Make onboarding effortless for new teams",
        team=world.team,
        owner=member.user,
        parent=company,
    )
    pipeline = services.objective_create(
        actor=admin,
        period=period,
        title="Turn trials into paying teams",
        team=sales,
        owner=admin.user,
        parent=company,
    )
    personal = services.objective_create(
        actor=member,
        period=period,
        title="Answer every trial question within a day",
        level=ObjectiveLevel.INDIVIDUAL,
        owner=member.user,
        parent=onboarding,
    )
    plan = [
        (company, "Weekly active teams from 120 to 300", "teams", 120, 300, [150, 190, 215], 7),
        (company, "Time to first plan from 5 days to 1 day", "days", 5, 1, [4.5, 3.8], 5),
        (onboarding, "Activation from 40% to 60%", "%", 40, 60, [43, 47, 51], 8),
        (onboarding, "Setup support tickets from 80 to 20 a month", "tickets", 80, 20, [76], 3),
        (pipeline, "Trial-to-paid from 8% to 15%", "%", 8, 15, [8.2, 8.5], 2),
        (personal, "Median first answer from 30 h to 8 h", "h", 30, 8, [22, 14], 7),
    ]
    for objective, title, unit, baseline, target, values, confidence in plan:
        kr = services.key_result_create(
            actor=admin,
            objective=objective,
            title=title,
            kind="percentage" if unit == "%" else "number",
            unit=unit,
            baseline=baseline,
            target=target,
            owner=objective.owner,
        )
        for weeks_ago, value in zip(range(len(values) * 2, 0, -2), values, strict=False):
            check_in = services.key_result_check_in(
                actor=member, key_result=kr, value=Decimal(str(value)), confidence=confidence
            )
            when = timezone.now() - timedelta(weeks=weeks_ago - 1)
            type(check_in).objects.filter(pk=check_in.pk).update(created_at=when)
            type(kr).objects.filter(pk=kr.pk).update(last_check_in_at=when)
    PeriodFactory(
        workspace=world.workspace,
        name="Next quarter",
        start=period.end + timedelta(days=1),
        end=period.end + timedelta(days=91),
    )
    return onboarding.pk


def test_docs_screenshots_of_the_tree_and_the_objective(page: Page, world: World, period):
    onboarding_id = build_story(world, period)
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.wait_for_url(re.compile(r"/w/acme-inc/$"))

    page.goto("/w/acme-inc/okrs/")
    expect(page.get_by_text("Answer every trial question within a day")).to_be_hidden()
    page.get_by_text("1 aligned objective").click()
    expect(
        page.get_by_role("link", name="Answer every trial question within a day")
    ).to_be_visible()
    capture(page, "okrs-tree", full_page=True)

    page.goto(f"/w/acme-inc/okrs/objectives/{onboarding_id}/")
    expect(page.locator("#objective-progress")).to_be_visible()
    capture(page, "okrs-objective", full_page=True)

    page.get_by_role("link", name="Check in").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    capture(page, "okrs-check-in")

    page.goto("/w/acme-inc/okrs/objectives/new/")
    page.get_by_label("Title").fill("Improve quality")
    expect(page.locator("#smart-panel")).to_contain_text("without a measure")
    capture(page, "okrs-smart-review")

    page.goto(f"/w/acme-inc/okrs/periods/{period.pk}/close/")
    capture(page, "okrs-period-close")
