"""Browser fixtures: Debian's headless Chromium driven by Playwright against `live_server`.

The browser is the system one (`/usr/bin/chromium`, or CHROMIUM_PATH); `playwright install`
is never needed. Without it the tests skip locally and fail under CI=true. A failing test
leaves a full-page screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.browser.helpers import VIEWPORT, launch_chromium, log_in
from tests.conftest import World
from tests.factories.core import PASSWORD
from tests.services import require_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Keep each phase's report on the item, so the `page` fixture knows whether the test failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    require_chromium()
    # Playwright's sync API leaves an event loop marked running in this thread, and Django then
    # refuses ORM calls here; they are plain synchronous calls, so allow them while it lives
    # (later tests on this xdist worker included). Set only here, never in settings.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright_instance)
    yield browser
    browser.close()


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions of one page; CSP violations land here."""

    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught: {error}")


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


class _ServerRequests:
    """How many requests the live server is answering now (its threads run in this process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = 0

    def started(self, **_: object) -> None:
        with self._lock:
            self.open += 1

    def finished(self, **_: object) -> None:
        with self._lock:
            self.open = max(0, self.open - 1)

    def reset(self) -> None:
        # Per test: a response never closed (an aborted stream) must not make every later
        # test wait.
        with self._lock:
            self.open = 0

    def wait_until_answered(self, seconds: float = 5.0) -> None:
        deadline = time.monotonic() + seconds
        while self.open and time.monotonic() < deadline:
            time.sleep(0.02)


SERVER_REQUESTS = _ServerRequests()
request_started.connect(SERVER_REQUESTS.started, weak=False)
request_finished.connect(SERVER_REQUESTS.finished, weak=False)


@pytest.fixture
def page(
    browser: Browser, live_server, transactional_db, console: ConsoleLog, request, settings
) -> Iterator[Page]:
    # `transactional_db` first: the page closes, and the live server answers what it was
    # still asked (a lazy htmx region, say), before the database is flushed. Flushed under
    # a request still reading, the TRUNCATE deadlocked with it and left the rows behind for
    # the next test (a CI run, 2026-12-08).
    # The server runs at the suite's pinned instant (tests/clock.py) while Chromium keeps the
    # real clock: cookies that expire at "pinned now + N days" would already be expired for
    # it. Browser-session cookies have no expiry, so a login lasts the journey. (Chromium's
    # clock stays real: Playwright's fake clock injects a script into every frame, which the
    # digest preview's sandboxed frame refuses; the pages compute no dates in scripts.)
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    # `live_server` is WSGI: nothing answers a websocket there (test_live.py serves ASGI).
    settings.LIVE_PAGES = False
    SERVER_REQUESTS.reset()
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    yield page
    reports = (getattr(request.node, f"report_{phase}", None) for phase in ("setup", "call"))
    if any(report is not None and report.failed for report in reports):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    SERVER_REQUESTS.wait_until_answered()


@pytest.fixture
def logged_in_page(page: Page, world: World) -> Page:
    """The `world`'s member, logged in and looking at the workspace home."""
    log_in(page, email=world.member.user.email, password=PASSWORD)
    page.wait_for_url(f"**/w/{world.workspace.slug}/")
    return page
