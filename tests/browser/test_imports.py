"""The OKR import in a real browser: a file with a mistake is stopped at the preview, the
fixed file is mapped, previewed and committed, and the progress bar fills by htmx polling
while the Celery job runs."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from integrations import tasks as integration_tasks
from integrations.importers import runner
from integrations.importers.base import progress_key
from integrations.models import ImportJob, ImportStatus
from okrs.models import KeyResult, Objective
from tests.browser.helpers import log_in
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.factories.okrs import PeriodFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HEADER = "Quarter,Objective,Level,Team key,Parent objective,Key result,Metric type,Start,Target\n"
FIXED = HEADER + (
    "Q3 2026,Grow revenue,company,,,Reach MRR,currency,120000,150000\n"
    "Q3 2026,Fast checkout,team,ENG,Grow revenue,Cut p95 latency,number,900,300\n"
    "Q3 2026,Fast checkout,team,ENG,Grow revenue,Ship one-page checkout,boolean,,\n"
    "Q3 2026,Hire well,team,ENG,,,,,\n"
)
BROKEN = FIXED.replace("team,ENG,,,,,", "team,XYZ,,,,,").replace("900,300", "900,fast")


def upload(page: Page, text: str) -> None:
    page.get_by_label("CSV file").set_input_files(
        {"name": "okrs.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map the columns of okrs.csv")).to_be_visible()
    # The guesses are already chosen; the person only confirms them.
    expect(page.get_by_label("Period (name)")).to_have_value("Quarter")
    expect(page.get_by_label("Parent objective title")).to_have_value("Parent objective")
    page.get_by_role("button", name="Preview the import").click()


def test_an_okr_file_is_previewed_fixed_and_imported_with_a_live_progress_bar(
    page: Page, world: World, console, monkeypatch
):
    PeriodFactory(
        workspace=world.workspace, name="Q3 2026", start=date(2026, 7, 1), end=date(2026, 9, 30)
    )
    # No worker in this test: the job stays queued until the test runs it, as a worker would.
    queued: list[int] = []
    monkeypatch.setattr(integration_tasks.import_run, "delay", queued.append)
    log_in(page, email=world.admin.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")
    page.goto(f"/w/{world.workspace.slug}/integrations/export/")
    page.get_by_role("link", name="Objectives and key results from CSV").click()

    upload(page, BROKEN)
    line_5 = page.locator("#row-5")
    expect(line_5).to_contain_text("Unknown team key “XYZ”.")
    expect(page.locator("#row-3")).to_contain_text(
        "Column “Target”: “fast” is not a number like 1250 or 12.5."
    )
    expect(page.locator("#import-summary")).to_contain_text("2 rows with errors.")
    expect(page.get_by_role("button", name="Import", exact=False)).to_have_count(0)

    page.goto(f"/w/{world.workspace.slug}/integrations/import/okrs/")
    upload(page, FIXED)
    expect(page.locator("#import-summary")).to_contain_text(
        "4 rows: 3 objectives, 3 key results; 0 rows with errors."
    )
    page.get_by_role("button", name="Import 3 objectives and 3 key results").click()

    expect(page.get_by_role("heading", name="Importing okrs.csv")).to_be_visible()
    progress = page.locator("[id$='-progress']")
    expect(progress).to_contain_text("Queued")
    expect(progress).to_contain_text("0 of 4 rows")
    [job_id] = queued
    assert Objective.objects.count() == 0

    # Half-way through the run (its rows are not committed yet; the count lives in the cache).
    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.RUNNING)
    cache.set(progress_key(job_id), 2, timeout=60)
    expect(progress).to_contain_text("2 of 4 rows")
    expect(page.locator("svg.bar")).to_have_attribute("aria-label", "50% imported")

    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.QUEUED)
    runner.run(job_id)  # what the worker does with the queued job
    expect(progress).to_contain_text("Done")
    expect(progress).to_contain_text("4 of 4 rows")
    expect(page.locator("svg.bar")).to_have_attribute("aria-label", "100% imported")
    expect(progress).not_to_have_attribute("hx-trigger", "every 1s")  # polling stopped

    assert KeyResult.objects.count() == 3
    assert Objective.objects.get(title="Fast checkout").parent.title == "Grow revenue"
    assert console.errors == []
