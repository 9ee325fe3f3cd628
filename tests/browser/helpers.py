"""Browser pieces shared by the tests and the screenshot script (no Django imports here)."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, Playwright

from tests.services import require_chromium

# Debian's Chromium, headless, as root in CI: no sandbox, no GPU, nothing phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    # Containers often give /dev/shm only 64 MB; Chromium then crashes on larger pages.
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 800}


def launch_chromium(playwright: Playwright) -> Browser:
    """The system Chromium (`playwright install` is never needed); skips or fails if absent."""
    return playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)


def log_in(page: Page, *, email: str, password: str) -> None:
    """Log in through the real form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # The next page's deferred scripts (the passkey button, dialogs) have run before the
    # caller acts: a click in between hit a button with no handler yet on a loaded machine.
    page.wait_for_load_state("load")
