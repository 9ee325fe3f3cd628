"""Notifications in a real browser: another member's changes (through the real task services)
light up the header bell, the inbox marks one read in place by htmx and the bell drops, and a
change on the preferences grid is saved and still there after a reload. And the two pictures
of docs/integrations.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from alignment.models import Membership, Role
from integrations.notifications.models import Notification, NotificationPreference
from tasks import services as tasks
from tasks.models import StateCategory
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD, MembershipFactory, UserFactory
from tests.factories.work import TaskFactory, state_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def colleague(world: World) -> Membership:
    """Another member of the workspace, who hands work to the `world`'s member."""
    return MembershipFactory(
        workspace=world.workspace,
        role=Role.MEMBER,
        user=UserFactory(email="noor@acme.example.com", full_name="Noor Haddad"),
    )


def hand_over_work(world: World, colleague: Membership) -> None:
    """Three notifications for the member: two assignments and an @mention, none read."""
    member = world.member.user
    tasks.task_create(
        actor=colleague,
        team=world.team,
        title="Fix the checkout timeout on slow networks",
        assignee=member,
    )
    review = TaskFactory(team=world.team, title="Review the onboarding e-mails", created_by=member)
    tasks.task_assign(actor=colleague, task=review, assignee=member)
    tasks.task_comment_add(
        actor=colleague, task=review, body="@member the copy for day 3 is ready for you."
    )
    # The member's own change notifies nobody: it must not show in their bell.
    tasks.task_transition(
        actor=world.member, task=review, to_state=state_of(world.team, StateCategory.STARTED)
    )


def bell(page: Page):
    return page.locator("#notification-badge")


def test_a_member_reads_what_a_colleague_handed_them_and_the_bell_counts_down(
    page: Page, world: World, colleague: Membership, console
):
    hand_over_work(world, colleague)
    slug = world.workspace.slug
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")

    expect(bell(page)).to_have_attribute("aria-label", "Notifications, 3 unread")
    expect(bell(page).locator(".badge")).to_have_text("3")
    bell(page).click()
    page.wait_for_url(f"**/w/{slug}/notifications/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    rows = page.locator("#notification-list li.notification")
    expect(rows).to_have_count(3)
    expect(page.locator("#notification-list li.notification.unread")).to_have_count(3)
    expect(rows.first).to_contain_text("Noor Haddad mentioned you")
    expect(page.locator("#notification-list")).to_contain_text(
        "Noor Haddad assigned ENG-1 “Fix the checkout timeout on slow networks” to you."
    )

    # Marked in place: the page is not reloaded (the marker survives), only the row and the bell.
    page.evaluate("window.stillTheSamePage = true")
    assigned = page.get_by_role(
        "button", name="Mark read: Noor Haddad assigned ENG-1 “Fix the checkout timeout"
    )
    assigned.click()
    expect(assigned).to_have_count(0)
    expect(bell(page).locator(".badge")).to_have_text("2")
    expect(bell(page)).to_have_attribute("aria-label", "Notifications, 2 unread")
    expect(page.locator("#notification-list li.notification.unread")).to_have_count(2)
    assert page.evaluate("window.stillTheSamePage") is True
    read = Notification.objects.filter(recipient=world.member.user, read_at__isnull=False)
    assert [n.sentence for n in read] == [
        "Noor Haddad assigned ENG-1 “Fix the checkout timeout on slow networks” to you."
    ]
    # A fresh load agrees with the bell (the htmx answer swaps only the row and the bell; the
    # "3 unread" line and the Unread filter's count catch up on the next load).
    page.reload()
    expect(page.get_by_role("link", name="Unread (2)")).to_be_visible()
    expect(page.locator(".notification-actions")).to_contain_text("2 unread")
    capture(page, "notifications-inbox")
    page.get_by_role("link", name="Unread (2)").click()
    expect(rows).to_have_count(2)
    expect(bell(page).locator(".badge")).to_have_text("2")
    assert console.errors == []


def test_a_change_on_the_preferences_grid_is_saved_and_survives_a_reload(
    page: Page, world: World, console
):
    slug = world.workspace.slug
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{slug}/")
    page.goto(f"/w/{slug}/notifications/")
    page.get_by_role("link", name="preferences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification preferences")

    status_by_email = page.get_by_label(
        "A task I created or am assigned changed state by email", exact=True
    )
    assigned_by_email = page.get_by_label("A task was assigned to me by email", exact=True)
    expect(status_by_email).not_to_be_checked()  # the default
    expect(assigned_by_email).to_be_checked()
    # No Slack connection in this workspace: the Slack column cannot be ticked, and says why.
    expect(page.get_by_label("A task was assigned to me by slack", exact=True)).to_be_disabled()
    expect(page.locator("#why-slack")).to_contain_text("no Slack connection")

    status_by_email.check()
    assigned_by_email.uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Notification preferences saved.")

    page.reload()
    expect(status_by_email).to_be_checked()
    expect(assigned_by_email).not_to_be_checked()
    saved = NotificationPreference.objects.get(workspace=world.workspace, user=world.member.user)
    assert saved.choices["status_changed"]["email"] is True
    assert saved.choices["assigned"]["email"] is False
    capture(page, "notifications-preferences", full_page=True)
    assert console.errors == []
