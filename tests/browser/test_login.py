"""Logging in through the real form, and what every page must do in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_logging_in_shows_the_workspace_home(page: Page, world):
    log_in(page, email=world.member.user.email, password=PASSWORD)

    expect(page).to_have_url(re.compile(r"/w/acme-inc/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Inc")
    expect(page.get_by_text("Acme Engineering")).to_be_visible()


def test_a_wrong_password_shows_the_message_and_stays_on_the_form(page: Page, world):
    log_in(page, email=world.member.user.email, password="not-the-password")

    expect(page.get_by_role("alert")).to_have_text(
        "That e-mail and password do not match an account."
    )
    expect(page.get_by_role("heading", name="Log in to Alignment")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(world.member.user.email)


def test_pages_load_without_console_errors_or_csp_violations(logged_in_page: Page, console):
    logged_in_page.goto("/accounts/login/")  # signed in: redirects home through a second load
    logged_in_page.wait_for_load_state("networkidle")

    assert console.errors == []


def test_htmx_runs_from_its_static_file_with_the_meta_tag_config(logged_in_page: Page):
    config = logged_in_page.evaluate(
        "() => ({allowEval: htmx.config.allowEval,"
        " includeIndicatorStyles: htmx.config.includeIndicatorStyles,"
        " fourXX: htmx.config.responseHandling.find(r => r.code === '[4]..')})"
    )

    assert config == {
        "allowEval": False,
        "includeIndicatorStyles": False,
        "fourXX": {"code": "[4]..", "swap": True, "error": False},
    }


def test_question_mark_opens_the_keyboard_shortcuts_dialog(logged_in_page: Page):
    dialog = logged_in_page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_hidden()

    logged_in_page.keyboard.press("?")

    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Workspace home")).to_be_visible()
