"""Time zones in a real browser, by keyboard, at desktop and phone (390 px) widths: an admin
types an unknown zone and reads why it is refused, then sets Pacific/Kiritimati (UTC+14) and
sees the workspace's date move to the day it already is there; the screenshot of
docs/time-zones.md. (The suite's pinned instant, 10:30 UTC, is 00:30 the next day there.)"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alignment.models import Workspace
from alignment.timezones import workspace_zone_name
from tests.browser.axe import assert_accessible
from tests.browser.helpers import log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}
FAR = "Pacific/Kiritimati"


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_an_admin_sets_the_workspace_zone_by_keyboard(page: Page, world: World, console, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")
    now = timezone.now()
    utc_day, far_day = now.astimezone(UTC).date(), now.astimezone(ZoneInfo(FAR)).date()
    page.goto(f"/w/{world.workspace.slug}/settings/time-zone/")
    expect(page.get_by_test_id("workspace-today")).to_have_text(utc_day.isoformat())
    box = page.get_by_label("Workspace time zone")
    box.fill("")
    box.focus()
    page.keyboard.type("Pacific/Atlantis")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").first).to_contain_text("is not a time zone")
    box = page.get_by_label("Workspace time zone")
    box.fill("")
    box.focus()
    page.keyboard.type(FAR)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("workspace-zone")).to_have_text(FAR)
    expect(page.get_by_test_id("workspace-today")).to_have_text(far_day.isoformat())
    assert workspace_zone_name(Workspace.objects.get(pk=world.workspace.pk)) == FAR
    if viewport:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    # The refused save answered 422 (as every refused form does); Chromium logs that status.
    assert [e for e in console.errors if "status of 422" not in e] == []
    capture(page, "time-zone-settings-phone" if viewport else "time-zone-settings")
